import { prepare } from '../db/prepared.js';
import type { Conn, Tx } from '../db/transaction.js';

// ── lockouts: one row per secret that has seen failures ──────────────────────

export async function findLockout(conn: Conn, ref: string) {
  return lockoutOf.first(conn, { ref });
}
const lockoutOf = prepare((c, v: { ref: string }) =>
  c.selectFrom('secret_lockouts').selectAll().where('secret_ref', '=', v.ref),
);

/** Makes sure the secret has a lockout row to count on (a no-op when it has one). */
export async function ensureLockoutRow(trx: Tx, ref: string, at: string): Promise<void> {
  await lockoutRowEnsured.changed(trx, { ref, at });
}
const lockoutRowEnsured = prepare((c, v: { ref: string; at: string }) =>
  c
    .insertInto('secret_lockouts')
    .values({ secret_ref: v.ref, failures: 0, locked_until: null, updated_at: v.at })
    .onConflict((oc) => oc.column('secret_ref').doNothing()),
);

/**
 * Reserves one attempt, in one statement: counts it as a failure before it is verified, unless the
 * secret is locked; the attempt that brings the count to `maxFailures` sets the lock (`until`) in
 * the same statement. The row lock (PostgreSQL) or the write lock (SQLite) makes it atomic across
 * processes. Returns the row as this attempt left it, or undefined when nothing was reserved (the
 * secret is locked, or the row vanished under us).
 */
export async function reserveAttempt(
  trx: Tx,
  ref: string,
  at: string,
  maxFailures: number,
  until: string,
): Promise<{ failures: number; locked_until: string | null } | undefined> {
  return attemptReserved.first(trx, { ref, at, locksAt: maxFailures - 1, until });
}
const attemptReserved = prepare((c, v: { ref: string; at: string; locksAt: number; until: string }) =>
  c
    .updateTable('secret_lockouts')
    .set((eb) => ({
      failures: eb('failures', '+', 1),
      locked_until: eb.case().when('failures', '>=', v.locksAt).then(v.until).else(null).end(),
      updated_at: v.at,
    }))
    .where('secret_ref', '=', v.ref)
    .where('locked_until', 'is', null)
    .returning(['failures', 'locked_until']),
);

/** Lifts the lock this attempt itself set on reserving, after it proved the secret after all. */
export async function deleteOwnLock(conn: Conn, ref: string, until: string): Promise<void> {
  await ownLockDeleted.changed(conn, { ref, until });
}
const ownLockDeleted = prepare((c, v: { ref: string; until: string }) =>
  c.deleteFrom('secret_lockouts').where('secret_ref', '=', v.ref).where('locked_until', '=', v.until),
);

/** Forgets failures after a success; never lifts a lock another process set meanwhile. */
export async function resetLockout(conn: Conn, ref: string): Promise<void> {
  await lockoutReset.changed(conn, { ref });
}
const lockoutReset = prepare((c, v: { ref: string }) =>
  c.deleteFrom('secret_lockouts').where('secret_ref', '=', v.ref).where('locked_until', 'is', null),
);

/** Lifts a lock too: after a recovery proved who is asking. */
export async function deleteLockout(conn: Conn, ref: string): Promise<void> {
  await conn.deleteFrom('secret_lockouts').where('secret_ref', '=', ref).execute();
}

/** After a lock lapses the count starts again from zero. */
export async function clearExpiredLock(trx: Tx, ref: string, now: string): Promise<void> {
  await expiredLockCleared.changed(trx, { ref, now });
}
const expiredLockCleared = prepare((c, v: { ref: string; now: string }) =>
  c
    .deleteFrom('secret_lockouts')
    .where('secret_ref', '=', v.ref)
    .where('locked_until', 'is not', null)
    .where('locked_until', '<=', v.now),
);

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

/** Forgets secrets altogether: their lockout rows and their history. */
export async function deleteSecrets(trx: Tx, refs: readonly string[]): Promise<void> {
  if (refs.length === 0) return;
  await trx.deleteFrom('secret_lockouts').where('secret_ref', 'in', refs).execute();
  await trx.deleteFrom('secret_history').where('secret_ref', 'in', refs).execute();
}

/** The secrets locked at `now` (a lockout row per secret that has seen failures: a small table). */
export async function listLockedRefs(conn: Conn, now: string): Promise<string[]> {
  const rows = await conn.selectFrom('secret_lockouts').select('secret_ref').where('locked_until', '>', now).execute();
  return rows.map((r) => r.secret_ref);
}
