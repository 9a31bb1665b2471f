import { recordAudit } from '../audit/audit.service.js';
import { type Actor, auditActorOf, canSeeMerchant } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { type Conn, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as merchants from '../merchants/merchant.service.js';
import * as errors from './refund.errors.js';
import type { RefundReason } from './refund.js';
import * as repo from './refund.repository.js';
import { defaultRefundPolicy, type RefundPolicy } from './refund-policy.js';

/** The policy in force for a merchant: its own, or the platform defaults. */
export async function getRefundPolicy(conn: Conn, merchantId: string): Promise<RefundPolicy> {
  const row = await repo.findPolicyRow(conn, merchantId);
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

async function assertSees(conn: Conn, actor: Actor, merchantId: string) {
  const m = await merchants.findMerchant(conn, merchantId);
  if (!m || !canSeeMerchant(actor, { merchantId, acquirerId: m.acquirerId })) throw notFound('merchant');
}

/** @throws not_found */
export async function getRefundPolicyFor(conn: Conn, actor: Actor, merchantId: string): Promise<RefundPolicy> {
  await assertSees(conn, actor, merchantId);
  return getRefundPolicy(conn, merchantId);
}

/**
 * The merchant owner sets its policy: stored, kept in the policy history from now on (for case
 * files), and audited, in one transaction. @throws not_found, forbidden, validation_failed
 */
export async function setRefundPolicy(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  merchantId: string,
  input: Omit<RefundPolicy, 'merchantId' | 'updatedAt'>,
): Promise<RefundPolicy> {
  await assertSees(db.kysely, actor, merchantId);
  if (actor.role !== 'merchant_owner') throw errors.onlyOwnerSetsPolicy();
  if (input.reasons.length === 0) throw errors.noReasonAccepted();
  const at = ctx.clock.now().toISOString();
  const policy: RefundPolicy = { ...input, reasons: [...new Set(input.reasons)], merchantId, updatedAt: at };
  await transaction(db, async (trx) => {
    await repo.upsertPolicy(trx, {
      merchant_id: merchantId,
      window_days: policy.windowDays,
      partial_allowed: policy.partialAllowed ? 1 : 0,
      reasons: JSON.stringify(policy.reasons),
      merchant_auto_approve_up_to: policy.merchantAutoApproveUpTo,
      acquirer_manual_review_above: policy.acquirerManualReviewAbove,
      merchant_review_hours: policy.merchantReviewHours,
      updated_at: at,
    });
    await repo.insertPolicyHistory(trx, {
      id: newId('rph'),
      merchant_id: merchantId,
      policy: JSON.stringify(policy),
      effective_from: at,
      set_by: actor.id,
    });
    const { merchantId: _m, updatedAt: _u, ...details } = policy;
    await recordAudit(trx, ctx, {
      merchantId,
      actor: auditActorOf(actor),
      action: 'refund_policy.updated',
      outcome: 'success',
      objectType: 'merchant',
      objectId: merchantId,
      details,
    });
  });
  return getRefundPolicy(db.kysely, merchantId);
}

/**
 * The policy that was in force at `at`: the newest one set by then, else the platform defaults.
 * A policy set before its history was kept (no history row) counts from its `updatedAt`.
 */
export async function getRefundPolicyAt(conn: Conn, merchantId: string, at: string): Promise<RefundPolicy> {
  const past = await repo.findPolicyHistoryAt(conn, merchantId, at);
  if (past) return JSON.parse(past.policy) as RefundPolicy;
  const current = await getRefundPolicy(conn, merchantId);
  return current.updatedAt && current.updatedAt <= at ? current : defaultRefundPolicy(merchantId);
}
