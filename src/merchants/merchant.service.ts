import { type Actor, canSeeMerchant, merchantListScope } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import { hashSecret } from '../credentials/hashing.js';
import { assertInitialRefundPassword } from '../credentials/initial-secret.js';
import type { Db } from '../db/connect.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Merchant } from './merchant.js';
import * as repo from './merchant.repository.js';

export async function createAcquirer(tx: Tx, ctx: AppContext, name: string): Promise<{ id: string; name: string }> {
  const row = { id: newId('acq'), name, created_at: nowIso(ctx) };
  await repo.insertAcquirer(tx, row);
  return { id: row.id, name };
}

export async function createAgent(tx: Tx, ctx: AppContext, name: string): Promise<{ id: string; name: string }> {
  const row = { id: newId('agt'), name, created_at: nowIso(ctx) };
  await repo.insertAgent(tx, row);
  return { id: row.id, name };
}

export interface NewMerchant {
  name: string;
  acquirerId: string;
  currency?: string;
  language?: 'zh-CN' | 'en';
  email?: string | null;
  phone?: string | null;
  refundPassword: string;
}

/**
 * Creates a merchant with its initial refund password (hashed; never stored in clear). Takes the
 * database: the password is hashed (argon2) before the short transaction that inserts the row.
 */
export async function createMerchant(db: Db, ctx: AppContext, input: NewMerchant): Promise<Merchant> {
  if (!(await repo.findAcquirer(db.kysely, input.acquirerId))) throw notFound('acquirer');
  assertInitialRefundPassword(ctx, input.refundPassword, input.phone);
  const at = nowIso(ctx);
  const row = {
    id: newId('mer'),
    name: input.name,
    acquirer_id: input.acquirerId,
    currency: input.currency ?? 'CNY',
    language: input.language ?? 'zh-CN',
    email: input.email ?? null,
    phone: input.phone ?? null,
    refund_password_hash: await hashSecret(input.refundPassword),
    refund_password_changed_at: at,
    password_policy: null,
    created_at: at,
  };
  const merchantNo = await transaction(db, (tx) => repo.insertMerchant(tx, row));
  return repo.merchantRowToMerchant({ ...row, merchant_no: merchantNo });
}

/** @throws not_found when the merchant does not exist or the actor may not see it. */
export async function getMerchant(conn: Conn, actor: Actor, id: string): Promise<Merchant> {
  const row = await repo.findMerchantRow(conn, id);
  if (!row || !canSeeMerchant(actor, { merchantId: row.id, acquirerId: row.acquirer_id })) throw notFound('merchant');
  return repo.merchantRowToMerchant(row);
}

/** Unscoped lookup for other domains' services (they scope by their own objects). */
export async function findMerchant(conn: Conn, id: string): Promise<Merchant | undefined> {
  const row = await repo.findMerchantRow(conn, id);
  return row ? repo.merchantRowToMerchant(row) : undefined;
}

/**
 * The ids of the merchants whose objects `actor`'s lists hold (`merchantListScope`), for lists
 * filtered by a set of merchants (disputes, audit chains); undefined means all of them.
 */
export async function visibleMerchantIds(conn: Conn, actor: Actor): Promise<string[] | undefined> {
  const scope = merchantListScope(actor);
  if (!scope) return [];
  if (scope.merchantId) return [scope.merchantId];
  if (scope.acquirerId) return repo.listMerchantIdsOfAcquirer(conn, scope.acquirerId);
  return undefined;
}

export async function listMerchants(conn: Conn): Promise<Merchant[]> {
  return (await repo.listMerchantRows(conn)).map(repo.merchantRowToMerchant);
}

/** The refund-password record of a merchant, for the credentials service only. */
export async function findRefundPasswordRecord(conn: Conn, merchantId: string) {
  const row = await repo.findMerchantRow(conn, merchantId);
  if (!row) return undefined;
  return {
    merchant: repo.merchantRowToMerchant(row),
    hash: row.refund_password_hash,
    changedAt: row.refund_password_changed_at,
    policyOverride: row.password_policy,
  };
}

export async function storeRefundPasswordHash(trx: Tx, merchantId: string, hash: string, at: string): Promise<void> {
  await repo.setRefundPasswordHash(trx, merchantId, hash, at);
}

/** Sets (or clears, with null) the merchant's password-policy override, validated by the caller. */
export async function storePasswordPolicyOverride(trx: Tx, merchantId: string, override: string | null) {
  await repo.setPasswordPolicy(trx, merchantId, override);
}

/**
 * Unsets the refund password and returns the hash it had (for its history), read under the
 * caller's transaction.
 */
export async function clearRefundPassword(trx: Tx, merchantId: string): Promise<string | null> {
  const row = await repo.findMerchantRow(trx, merchantId);
  await repo.clearRefundPasswordHash(trx, merchantId);
  return row?.refund_password_hash ?? null;
}
