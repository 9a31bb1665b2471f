import { sql } from 'kysely';
import { type Conn, hasRowLocks, type Tx } from '../db/transaction.js';
import type { IdempotencyKeyTable } from '../idempotency/idempotency.tables.js';

/**
 * Queues the twins of one key behind each other until the transaction ends. On PostgreSQL (READ
 * COMMITTED) a twin would otherwise miss the winner's uncommitted key, redo the work, and fail it
 * (a full refund's twin sees nothing left to refund) before ever reaching the key's unique index.
 * A transaction-scoped advisory lock on the key's hash; SQLite's BEGIN IMMEDIATE already serialises.
 */
export async function lockKey(trx: Tx, scope: string, key: string): Promise<void> {
  if (!hasRowLocks(trx)) return;
  await sql`select pg_advisory_xact_lock(hashtextextended(${`${scope}\n${key}`}, 0))`.execute(trx);
}

export async function findKey(conn: Conn, scope: string, key: string): Promise<IdempotencyKeyTable | undefined> {
  return conn
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function insertKey(trx: Tx, row: IdempotencyKeyTable): Promise<void> {
  await trx.insertInto('idempotency_keys').values(row).execute();
}

export async function deleteKeysBefore(conn: Conn, before: string): Promise<number> {
  const r = await conn.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
