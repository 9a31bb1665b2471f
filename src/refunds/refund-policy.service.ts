import { type Actor, canSeeMerchant } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { AppError, notFound } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import type { RefundReason } from './refund.js';
import * as repo from './refund.repository.js';
import { defaultRefundPolicy, type RefundPolicy } from './refund-policy.js';

/** The policy in force for a merchant: its own, or the platform defaults. */
export async function getRefundPolicy(ctx: AppContext, merchantId: string): Promise<RefundPolicy> {
  const row = await repo.findPolicyRow(ctx.db.kysely, merchantId);
  if (!row) return defaultRefundPolicy(merchantId);
  return {
    merchantId,
    windowDays: row.window_days,
    partialAllowed: row.partial_allowed === 1,
    reasons: JSON.parse(row.reasons) as RefundReason[],
    merchantAutoApproveUpTo: row.merchant_auto_approve_up_to,
    acquirerManualReviewAbove: row.acquirer_manual_review_above,
    merchantReviewHours: row.merchant_review_hours,
    updatedAt: row.updated_at,
  };
}

async function assertSees(ctx: AppContext, actor: Actor, merchantId: string) {
  const m = await merchants.findMerchant(ctx, merchantId);
  if (!m || !canSeeMerchant(actor, { merchantId, acquirerId: m.acquirerId })) throw notFound('merchant');
}

/** @throws not_found */
export async function getRefundPolicyFor(ctx: AppContext, actor: Actor, merchantId: string): Promise<RefundPolicy> {
  await assertSees(ctx, actor, merchantId);
  return getRefundPolicy(ctx, merchantId);
}

/** The merchant owner sets its policy. @throws not_found, forbidden, validation_failed */
export async function setRefundPolicy(
  ctx: AppContext,
  actor: Actor,
  merchantId: string,
  input: Omit<RefundPolicy, 'merchantId' | 'updatedAt'>,
): Promise<RefundPolicy> {
  await assertSees(ctx, actor, merchantId);
  if (actor.role !== 'merchant_owner')
    throw new AppError('forbidden', 'only the merchant owner sets the refund policy');
  if (input.reasons.length === 0) throw new AppError('validation_failed', 'accept at least one reason');
  await repo.upsertPolicy(ctx.db.kysely, {
    merchant_id: merchantId,
    window_days: input.windowDays,
    partial_allowed: input.partialAllowed ? 1 : 0,
    reasons: JSON.stringify([...new Set(input.reasons)]),
    merchant_auto_approve_up_to: input.merchantAutoApproveUpTo,
    acquirer_manual_review_above: input.acquirerManualReviewAbove,
    merchant_review_hours: input.merchantReviewHours,
    updated_at: ctx.clock.now().toISOString(),
  });
  return getRefundPolicy(ctx, merchantId);
}
