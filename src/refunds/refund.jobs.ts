import type { AppContext } from '../context.js';
import type { Conn, Tx } from '../db/transaction.js';
import type { JobHandler } from '../jobs/job.service.js';
import type { Payment } from '../payments/payment.js';
import { settleRefund } from '../payments/processor.js';
import * as settlement from '../payments/settlement.service.js';
import { isFinalFailure, JOB_ACQUIRER_REVIEW, JOB_MERCHANT_DEADLINE, JOB_PROCESS, type Refund } from './refund.js';
import * as repo from './refund.repository.js';
import { lockRefund, sendToProcessor } from './refund.service.js';
import { queueForReviewer, refundFields, SYSTEM, transition } from './refund.transitions.js';
import type { RefundPolicy } from './refund-policy.js';
import { getRefundPolicy } from './refund-policy.service.js';

/**
 * What the worker does for a refund after it is asked for: the acquirer's automatic review, the
 * processor's answer, and the merchant's deadline on a customer's request. Each is a job step: it
 * runs in the transaction that also marks its job done, under the refund's lock.
 */

// ── the acquirer's rules ─────────────────────────────────────────────────────

/**
 * What the acquirer's rules judge, read once under the refund's lock: the refund as it is now, its
 * payment and its merchant's policy. A rule that needs more reads it through the connection.
 */
export interface ReviewFacts {
  refund: Omit<Refund, 'timeline'>;
  payment: Payment;
  policy: RefundPolicy;
}

/** A rule returns why a refund needs a person, or null when it may be approved automatically. */
export type AcquirerRule = (conn: Conn, facts: ReviewFacts) => Promise<string | null> | string | null;
/** The acquirer's rules by name, assembled at start-up (`src/wiring.ts`) from every domain's. */
export type AcquirerRules = Readonly<Record<string, AcquirerRule>>;

/** The refunds domain's own rules; other domains export theirs (disputes: "no open dispute"). */
export const refundAcquirerRules: AcquirerRules = {
  amount_within_threshold: (_conn, { refund, policy }) =>
    refund.amount > policy.acquirerManualReviewAbove ? 'amount above the manual-review threshold' : null,
  within_window: (_conn, { refund, payment, policy }) => {
    const deadline = new Date(payment.createdAt).getTime() + policy.windowDays * 86_400_000;
    return new Date(refund.createdAt).getTime() > deadline ? 'outside the refund window' : null;
  },
  payment_captured: (_conn, { payment }) => {
    if (payment.capturedAmount === 0) return 'no money was captured';
    return payment.flagged ? 'the payment is flagged' : null;
  },
  // A sale of the open batch is voided (撤销), not refunded: a refund of one needs a person's look.
  payment_settled: async (conn, { payment }) =>
    (await settlement.isPaymentSettled(conn, payment)) ? null : 'the sale is not settled yet',
  payment_failure_is_real: (_conn, { refund, payment }) => {
    if (refund.reason !== 'payment_failure') return null;
    return payment.status === 'failed' && payment.capturedAmount > 0
      ? null
      : 'reason is payment failure but the payment shows no money taken without success';
  },
};

/** Why a refund needs manual review (every failing rule), or [] when it may be auto-approved. */
export async function manualReviewReasons(conn: Conn, rules: AcquirerRules, facts: ReviewFacts): Promise<string[]> {
  const reasons = await Promise.all(Object.values(rules).map((rule) => rule(conn, facts)));
  return reasons.filter((r): r is string => r !== null);
}

// ── the job steps ────────────────────────────────────────────────────────────

/**
 * The acquirer's automatic review: approve when every rule passes, otherwise queue for a person.
 * A request the merchant never answered always goes to a person. Safe to run twice. The rules read
 * inside the transaction, under the refund's lock, so they judge the refund as it is.
 */
async function acquirerReview(trx: Tx, ctx: AppContext, rules: AcquirerRules, refundId: string): Promise<void> {
  const locked = await lockRefund(trx, refundId);
  const current = locked?.refund;
  if (!locked || current?.status !== 'pending_acquirer' || current.acquirer_review === 'manual') return;
  const facts = {
    refund: refundFields(current),
    payment: locked.payment,
    policy: await getRefundPolicy(trx, current.merchant_id),
  };
  const reasons = await manualReviewReasons(trx, rules, facts);
  if (reasons.length === 0) {
    await sendToProcessor(trx, ctx, current, SYSTEM, 'approved by the acquirer’s rules', { acquirer_review: 'auto' });
  } else {
    await queueForReviewer(trx, ctx, current, reasons);
  }
}

/** The processor's answer: `processing` → `succeeded` (with a trace reference) or `failed`. */
async function processRefund(trx: Tx, ctx: AppContext, refundId: string): Promise<void> {
  const locked = await lockRefund(trx, refundId);
  const current = locked?.refund;
  if (!locked || current?.status !== 'processing') return;
  // Counted and answered under the lock: a retry cannot slip an attempt in between.
  const attempts = (await repo.listEventRows(trx, refundId)).filter((e) => e.to_status === 'processing').length;
  const outcome = settleRefund(locked.payment.card, attempts);
  if (outcome.kind === 'succeeded') {
    await transition(trx, ctx, current, 'succeeded', SYSTEM, 'the processor confirmed the refund', {
      processor_reference: outcome.processorReference,
    });
  } else {
    const final = isFinalFailure(outcome.failureReason, attempts);
    const note = `the processor failed: ${outcome.failureReason}${final ? ' (final: the amount is released)' : ''}`;
    await transition(trx, ctx, current, 'failed', SYSTEM, note, {
      failure_reason: outcome.failureReason,
      failure_final: final ? 1 : 0,
    });
  }
}

/** A customer request the merchant left unanswered past its deadline goes to the acquirer, by hand. */
async function merchantDeadline(trx: Tx, ctx: AppContext, refundId: string): Promise<void> {
  const row = (await lockRefund(trx, refundId))?.refund;
  if (row?.status !== 'pending_merchant' || !row.merchant_deadline_at) return;
  if (row.merchant_deadline_at > ctx.clock.now().toISOString()) return;
  await transition(
    trx,
    ctx,
    row,
    'pending_acquirer',
    SYSTEM,
    'the merchant did not answer in time: escalated to the acquirer',
    {
      acquirer_review: 'manual',
    },
  );
}

/** The refunds domain's jobs; the acquirer's review applies `rules` (all domains' rules). */
export function refundJobHandlers(rules: AcquirerRules): Record<string, JobHandler> {
  return {
    [JOB_ACQUIRER_REVIEW]: { step: (tx, ctx, payload) => acquirerReview(tx, ctx, rules, String(payload.refundId)) },
    [JOB_PROCESS]: { step: (tx, ctx, payload) => processRefund(tx, ctx, String(payload.refundId)) },
    [JOB_MERCHANT_DEADLINE]: { step: (tx, ctx, payload) => merchantDeadline(tx, ctx, String(payload.refundId)) },
  };
}
