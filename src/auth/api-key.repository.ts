import type { ApiKeyTable } from '../auth/auth.tables.js';
import { prepare } from '../db/prepared.js';
import type { Conn } from '../db/transaction.js';

export async function insertApiKey(conn: Conn, row: ApiKeyTable): Promise<void> {
  await conn.insertInto('api_keys').values(row).execute();
}

export async function findActiveApiKeyByHash(conn: Conn, keyHash: string) {
  return activeKeyByHash.first(conn, { keyHash });
}
const activeKeyByHash = prepare((c, v: { keyHash: string }) =>
  c
    .selectFrom('api_keys')
    .innerJoin('merchants', 'merchants.id', 'api_keys.merchant_id')
    .selectAll('api_keys')
    .select('merchants.acquirer_id')
    .where('api_keys.key_hash', '=', v.keyHash)
    .where('api_keys.revoked_at', 'is', null),
);

export async function listApiKeyRows(conn: Conn, merchantId: string, page: { before?: string; limit: number }) {
  let q = conn
    .selectFrom('api_keys')
    .select(['id', 'merchant_id', 'name', 'key_prefix', 'scopes', 'created_at', 'revoked_at'])
    .where('merchant_id', '=', merchantId);
  if (page.before) q = q.where('id', '<', page.before);
  return q.orderBy('id', 'desc').limit(page.limit).execute();
}

export async function revokeApiKey(conn: Conn, id: string, merchantId: string, now: string): Promise<boolean> {
  const r = await conn
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('merchant_id', '=', merchantId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
