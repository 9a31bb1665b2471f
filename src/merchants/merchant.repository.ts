import { MERCHANT_NO_PREFIX } from '../db/migrations/021_terminal_journal.js';
import { prepare } from '../db/prepared.js';
import type { Conn, Tx } from '../db/transaction.js';
import type { MerchantTable } from '../merchants/merchant.tables.js';
import type { Merchant } from './merchant.js';

export function merchantRowToMerchant(r: MerchantTable): Merchant {
  return {
    id: r.id,
    name: r.name,
    merchantNo: r.merchant_no,
    acquirerId: r.acquirer_id,
    currency: r.currency,
    language: r.language === 'en' ? 'en' : 'zh-CN',
    email: r.email,
    phone: r.phone,
    createdAt: r.created_at,
  };
}

export async function findMerchantRow(conn: Conn, id: string): Promise<MerchantTable | undefined> {
  return merchantById.first(conn, { id });
}
const merchantById = prepare((c, v: { id: string }) => c.selectFrom('merchants').selectAll().where('id', '=', v.id));

/**
 * Inserts a merchant under the next free 商户编号 and returns it. A merchant created at the same
 * moment may take that number first (the unique index refuses the second): it draws the next.
 */
export async function insertMerchant(conn: Conn, row: Omit<MerchantTable, 'merchant_no'>): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const last = await conn
      .selectFrom('merchants')
      .select((eb) => eb.fn.max('merchant_no').as('n'))
      .executeTakeFirst();
    const merchantNo = last?.n ? String(Number(last.n) + 1) : `${MERCHANT_NO_PREFIX}00000001`;
    const r = await conn
      .insertInto('merchants')
      .values({ ...row, merchant_no: merchantNo })
      .onConflict((oc) => oc.column('merchant_no').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 1) return merchantNo;
  }
  throw new Error('no free merchant no. after 5 draws');
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

export async function listMerchantIdsOfAcquirer(conn: Conn, acquirerId: string): Promise<string[]> {
  const rows = await conn
    .selectFrom('merchants')
    .select('id')
    .where('acquirer_id', '=', acquirerId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
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
