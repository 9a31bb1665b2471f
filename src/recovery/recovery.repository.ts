import { sql } from 'kysely';
import { type Conn, hasRowLocks, type Tx } from '../db/transaction.js';
import type { RecoveryCodeTable, UnlockChallengeTable } from '../recovery/recovery.tables.js';

export async function insertChallenge(conn: Conn, row: UnlockChallengeTable): Promise<void> {
  await conn.insertInto('unlock_challenges').values(row).execute();
}

export async function findChallenge(conn: Conn, terminalId: string, challenge: string) {
  return conn
    .selectFrom('unlock_challenges')
    .selectAll()
    .where('terminal_id', '=', terminalId)
    .where('challenge', '=', challenge)
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** The challenges with an issued, unused code that has not yet expired: what a terminal may redeem. */
export async function listRedeemableChallenges(conn: Conn, terminalId: string, issuedAfter: string) {
  return conn
    .selectFrom('unlock_challenges')
    .selectAll()
    .where('terminal_id', '=', terminalId)
    .where('code_issued_at', 'is not', null)
    .where('code_issued_at', '>', issuedAfter)
    .where('used_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(5)
    .execute();
}

export async function markCodeIssued(conn: Conn, id: string, step: number, at: string, by: string): Promise<void> {
  await conn
    .updateTable('unlock_challenges')
    .set({ code_time_step: step, code_issued_at: at, code_issued_by: by })
    .where('id', '=', id)
    .execute();
}

/** Single use: only the first redeemer moves used_at from null. */
export async function markChallengeUsed(trx: Tx, id: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('unlock_challenges')
    .set({ used_at: at })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Serialises the sends of one merchant's codes until the transaction ends, so that counting the
 * last hour's codes and adding one is atomic: a transaction-scoped advisory lock on PostgreSQL
 * (there may be no row to lock yet); SQLite's BEGIN IMMEDIATE already serialises writers.
 */
export async function lockMerchantCodes(trx: Tx, merchantId: string): Promise<void> {
  if (!hasRowLocks(trx)) return;
  await sql`select pg_advisory_xact_lock(hashtextextended(${`recovery-code\n${merchantId}`}, 0))`.execute(trx);
}

export async function insertRecoveryCode(trx: Tx, row: RecoveryCodeTable): Promise<void> {
  await trx.insertInto('recovery_codes').values(row).execute();
}

export async function countRecoveryCodesSince(conn: Conn, merchantId: string, since: string): Promise<number> {
  const r = await conn
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('merchant_id', '=', merchantId)
    .where('created_at', '>', since)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The newest code of the merchant: only the latest one is valid. */
export async function findLatestRecoveryCode(conn: Conn, merchantId: string) {
  return conn
    .selectFrom('recovery_codes')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

export async function markRecoveryCodeUsed(trx: Tx, id: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('recovery_codes')
    .set({ used_at: at })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteTerminalChallenges(trx: Tx, terminalId: string): Promise<number> {
  const r = await trx.deleteFrom('unlock_challenges').where('terminal_id', '=', terminalId).executeTakeFirst();
  return Number(r.numDeletedRows);
}
