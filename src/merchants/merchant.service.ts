import { type Actor, canSeeMerchant } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import { hashSecret, verifySecret } from '../credentials/hashing.js';
import { AppError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Merchant } from './merchant.js';
import * as repo from './merchant.repository.js';

export async function createAcquirer(ctx: AppContext, name: string): Promise<{ id: string; name: string }> {
  const row = { id: newId('acq'), name, created_at: nowIso(ctx) };
  await repo.insertAcquirer(ctx.db.kysely, row);
  return { id: row.id, name };
}

export async function createAgent(ctx: AppContext, name: string): Promise<{ id: string; name: string }> {
  const row = { id: newId('agt'), name, created_at: nowIso(ctx) };
  await repo.insertAgent(ctx.db.kysely, row);
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

/** Creates a merchant with its initial refund password (hashed; never stored in clear). */
export async function createMerchant(ctx: AppContext, input: NewMerchant): Promise<Merchant> {
  if (!(await repo.findAcquirer(ctx.db.kysely, input.acquirerId))) throw notFound('acquirer');
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
    created_at: at,
  };
  await repo.insertMerchant(ctx.db.kysely, row);
  return repo.merchantRowToMerchant(row);
}

/** @throws not_found when the merchant does not exist or the actor may not see it. */
export async function getMerchant(ctx: AppContext, actor: Actor, id: string): Promise<Merchant> {
  const row = await repo.findMerchantRow(ctx.db.kysely, id);
  if (!row || !canSeeMerchant(actor, { merchantId: row.id, acquirerId: row.acquirer_id })) throw notFound('merchant');
  return repo.merchantRowToMerchant(row);
}

/** Unscoped lookup for other domains' services (they scope by their own objects). */
export async function findMerchant(ctx: AppContext, id: string): Promise<Merchant | undefined> {
  const row = await repo.findMerchantRow(ctx.db.kysely, id);
  return row ? repo.merchantRowToMerchant(row) : undefined;
}

export async function listMerchants(ctx: AppContext): Promise<Merchant[]> {
  return (await repo.listMerchantRows(ctx.db.kysely)).map(repo.merchantRowToMerchant);
}

/**
 * Checks the merchant's refund password, outside any transaction (argon2 takes ~15 ms and must
 * not hold SQLite's write lock).
 * @throws refund_password_required, refund_password_invalid
 */
export async function checkRefundPassword(ctx: AppContext, merchantId: string, password: string | undefined) {
  if (password === undefined || password === '') throw new AppError('refund_password_required');
  const row = await repo.findMerchantRow(ctx.db.kysely, merchantId);
  if (!row?.refund_password_hash || !(await verifySecret(row.refund_password_hash, password))) {
    throw new AppError('refund_password_invalid');
  }
}
