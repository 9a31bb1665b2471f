import type { MerchantTable } from '../db/schema.js';
import type { Conn, Tx } from '../db/transaction.js';
import type { Merchant } from './merchant.js';

export function merchantRowToMerchant(r: MerchantTable): Merchant {
  return {
    id: r.id,
    name: r.name,
    acquirerId: r.acquirer_id,
    currency: r.currency,
    language: r.language === 'en' ? 'en' : 'zh-CN',
    email: r.email,
    phone: r.phone,
    createdAt: r.created_at,
  };
}

export async function findMerchantRow(conn: Conn, id: string): Promise<MerchantTable | undefined> {
  return conn.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertMerchant(conn: Conn, row: MerchantTable): Promise<void> {
  await conn.insertInto('merchants').values(row).execute();
}

export async function insertAcquirer(conn: Conn, row: { id: string; name: string; created_at: string }) {
  await conn.insertInto('acquirers').values(row).execute();
}

export async function insertAgent(conn: Conn, row: { id: string; name: string; created_at: string }) {
  await conn.insertInto('agents').values(row).execute();
}

export async function findAcquirer(conn: Conn, id: string) {
  return conn.selectFrom('acquirers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findAgent(conn: Conn, id: string) {
  return conn.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listMerchantRows(conn: Conn) {
  return conn.selectFrom('merchants').selectAll().orderBy('id').execute();
}

export async function setRefundPasswordHash(conn: Conn, merchantId: string, hash: string, at: string) {
  await conn
    .updateTable('merchants')
    .set({ refund_password_hash: hash, refund_password_changed_at: at })
    .where('id', '=', merchantId)
    .execute();
}

export async function setPasswordPolicy(conn: Conn, merchantId: string, policy: string | null) {
  await conn.updateTable('merchants').set({ password_policy: policy }).where('id', '=', merchantId).execute();
}

/** No refund password at all (a terminal re-initialisation): refunds wait for a new one. */
export async function clearRefundPasswordHash(trx: Tx, merchantId: string): Promise<void> {
  await trx
    .updateTable('merchants')
    .set({ refund_password_hash: null, refund_password_changed_at: null })
    .where('id', '=', merchantId)
    .execute();
}
