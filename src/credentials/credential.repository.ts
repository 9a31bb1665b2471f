import type { Conn, Tx } from '../db/transaction.js';

// ── lockouts: one row per secret that has seen failures ──────────────────────

export async function findLockout(conn: Conn, ref: string) {
  return conn.selectFrom('secret_lockouts').selectAll().where('secret_ref', '=', ref).executeTakeFirst();
}

/** Counts one more failure, atomically, and returns the new count. */
export async function incrementAttempts(trx: Tx, ref: string, at: string): Promise<number> {
  await trx
    .insertInto('secret_lockouts')
    .values({ secret_ref: ref, failures: 1, locked_until: null, updated_at: at })
    .onConflict((oc) =>
      oc
        .column('secret_ref')
        .doUpdateSet((eb) => ({ failures: eb('secret_lockouts.failures', '+', 1), updated_at: at })),
    )
    .execute();
  const row = await findLockout(trx, ref);
  return row?.failures ?? 1;
}

export async function lockUntil(trx: Tx, ref: string, until: string, at: string): Promise<void> {
  await trx
    .updateTable('secret_lockouts')
    .set({ locked_until: until, updated_at: at })
    .where('secret_ref', '=', ref)
    .execute();
}

/** Forgets failures after a success; never lifts a lock another process set meanwhile. */
export async function resetLockout(conn: Conn, ref: string): Promise<void> {
  await conn.deleteFrom('secret_lockouts').where('secret_ref', '=', ref).where('locked_until', 'is', null).execute();
}

/** Lifts a lock too: after a recovery proved who is asking. */
export async function deleteLockout(conn: Conn, ref: string): Promise<void> {
  await conn.deleteFrom('secret_lockouts').where('secret_ref', '=', ref).execute();
}

/** After a lock lapses the count starts again from zero. */
export async function clearExpiredLock(trx: Tx, ref: string, now: string): Promise<void> {
  await trx
    .deleteFrom('secret_lockouts')
    .where('secret_ref', '=', ref)
    .where('locked_until', 'is not', null)
    .where('locked_until', '<=', now)
    .execute();
}

// ── history ──────────────────────────────────────────────────────────────────

export async function listHistoryHashes(conn: Conn, ref: string, limit: number): Promise<string[]> {
  const rows = await conn
    .selectFrom('secret_history')
    .select('hash')
    .where('secret_ref', '=', ref)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.hash);
}

export async function insertHistory(
  trx: Tx,
  row: { id: string; secret_ref: string; hash: string; created_at: string },
) {
  await trx.insertInto('secret_history').values(row).execute();
}

/** Keeps the newest `keep` entries of a secret's history. */
export async function trimHistory(trx: Tx, ref: string, keep: number): Promise<void> {
  const keepIds = (
    await trx
      .selectFrom('secret_history')
      .select('id')
      .where('secret_ref', '=', ref)
      .orderBy('id', 'desc')
      .limit(keep)
      .execute()
  ).map((r) => r.id);
  if (keepIds.length === 0) return;
  await trx.deleteFrom('secret_history').where('secret_ref', '=', ref).where('id', 'not in', keepIds).execute();
}
