import type { IdempotencyKeyTable } from '../db/schema.js';
import type { Conn, Tx } from '../db/transaction.js';

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
