import type { SessionTable } from '../auth/auth.tables.js';
import { prepare } from '../db/prepared.js';
import type { Conn, Tx } from '../db/transaction.js';

export async function insertSession(conn: Conn, row: SessionTable): Promise<void> {
  await conn.insertInto('sessions').values(row).execute();
}

export async function findLiveSessionByTokenHash(conn: Conn, tokenHash: string, now: string) {
  return liveSession.first(conn, { tokenHash, now });
}
const liveSession = prepare((c, v: { tokenHash: string; now: string }) =>
  c
    .selectFrom('sessions')
    .selectAll()
    .where('token_hash', '=', v.tokenHash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', v.now),
);

export async function touchSession(conn: Conn, id: string, now: string): Promise<void> {
  await sessionTouched.changed(conn, { id, now });
}
const sessionTouched = prepare((c, v: { id: string; now: string }) =>
  c.updateTable('sessions').set({ last_seen_at: v.now }).where('id', '=', v.id),
);

export async function revokeSession(conn: Conn, id: string, now: string): Promise<void> {
  await conn.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).execute();
}

/** Ends every live session of a merchant's people (operators and owner): used after a password change. */
export async function revokeMerchantSessions(conn: Conn, merchantId: string, now: string): Promise<number> {
  const r = await conn
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('merchant_id', '=', merchantId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function revokePrincipalSessions(conn: Conn, principalId: string, now: string): Promise<number> {
  const r = await conn
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('principal_id', '=', principalId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Deletes every session opened at a terminal (its operators'), live or not. */
export async function deleteTerminalSessions(trx: Tx, terminalId: string): Promise<number> {
  const r = await trx.deleteFrom('sessions').where('terminal_id', '=', terminalId).executeTakeFirst();
  return Number(r.numDeletedRows);
}
