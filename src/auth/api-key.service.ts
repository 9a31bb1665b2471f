import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import { randomToken } from '../credentials/hashing.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Db } from '../db/connect.js';
import { type Page, pageOf } from '../db/page.js';
import type { Conn } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Actor, ApiKeyScope } from './actor.js';
import * as repo from './api-key.repository.js';
import * as errors from './auth.errors.js';

export const API_KEY_PREFIX = 'rdk_';

export interface ApiKey {
  id: string;
  merchantId: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: string;
  revokedAt: string | null;
}

function rowToApiKey(r: {
  id: string;
  merchant_id: string;
  name: string;
  key_prefix: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
}): ApiKey {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    name: r.name,
    prefix: r.key_prefix,
    scopes: JSON.parse(r.scopes) as ApiKeyScope[],
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

/**
 * Creates a merchant API key. The secret is returned once, here, and stored only as SHA-256
 * (256 random bits need no slow hash). A key with `refunds:write` is the merchant's authorisation
 * for refunds, as a Stripe secret key is, so it needs no refund password.
 */
export async function createApiKey(
  db: Db,
  ctx: AppContext,
  merchantId: string,
  createdBy: string,
  input: { name: string; scopes: ApiKeyScope[] },
): Promise<ApiKey & { secret: string }> {
  const secret = randomToken(API_KEY_PREFIX);
  const row = {
    id: newId('key'),
    merchant_id: merchantId,
    name: input.name,
    key_hash: sha256Hex(secret),
    key_prefix: secret.slice(0, 12),
    scopes: JSON.stringify([...new Set(input.scopes)]),
    created_by: createdBy,
    created_at: nowIso(ctx),
    revoked_at: null,
  };
  await repo.insertApiKey(db.kysely, row);
  return { ...rowToApiKey(row), secret };
}

/** The merchant's keys (never their secrets), newest first, a page at a time. */
export async function listApiKeys(
  conn: Conn,
  merchantId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<ApiKey>> {
  const rows = await repo.listApiKeyRows(conn, merchantId, { before: page.cursor, limit: page.limit + 1 });
  return pageOf(rows, page.limit, rowToApiKey);
}

/** @throws not_found when the key is not this merchant's or already revoked */
export async function revokeApiKey(db: Db, ctx: AppContext, merchantId: string, id: string): Promise<void> {
  if (!(await repo.revokeApiKey(db.kysely, id, merchantId, nowIso(ctx)))) throw notFound('api key');
}

export async function authenticateApiKey(conn: Conn, secret: string): Promise<Actor> {
  const row = await repo.findActiveApiKeyByHash(conn, sha256Hex(secret));
  if (!row) throw errors.apiKeyUnknown();
  return {
    kind: 'api_key',
    id: row.id,
    role: 'api_key',
    merchantId: row.merchant_id,
    terminalId: null,
    acquirerId: row.acquirer_id,
    agentId: null,
    scopes: JSON.parse(row.scopes) as ApiKeyScope[],
    sessionId: null,
    mustChangePassword: false,
  };
}
