import { type Actor, auditActorOf, merchantListScope } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import type { Db } from '../db/connect.js';
import { type Page, pageOf } from '../db/page.js';
import { type Conn, transaction } from '../db/transaction.js';
import {
  findReplay,
  type IdempotencyRequest,
  type Idempotent,
  idempotentTransaction,
} from '../idempotency/idempotency.service.js';
import { enqueueJob, type JobHandler } from '../jobs/job.service.js';
import * as payments from '../payments/payment.service.js';
import { settleRefund } from '../payments/processor.js';
import * as settlement from '../payments/settlement.service.js';
import * as errors from './refund.errors.js';
import {
  isFinalFailure,
  JOB_ACQUIRER_REVIEW,
  JOB_MERCHANT_DEADLINE,
  JOB_PROCESS,
  type Refund,
  type RefundStatus,
} from './refund.js';
import * as repo from './refund.repository.js';
import { getLockedRefund, lockRefund, sendToProcessor, visibleRefundRow } from './refund.service.js';
import { queueForReviewer, SYSTEM, toRefund, toRefunds, transition } from './refund.transitions.js';
import { getRefundPolicy } from './refund-policy.service.js';

export type Decision = 'approve' | 'reject';

/**
 * 商户审核: the merchant owner or supervisor approves (with the refund password) or rejects (with a
 * reason the customer will read) a customer's request. Approval sends it to the acquirer. With an
 * Idempotency-Key a retry replays the first decision, looked up before the refund password is
 * consulted: a replay moves no money, so it needs no password (and counts no attempt).
 * @throws not_found, forbidden, validation_failed, refund_password_* (refund_password_changed when it
 *   changed after the check), locked, invalid_transition, idempotency_conflict
 */
export async function decideAsMerchant(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  id: string,
  input: { decision: Decision; reason?: string; refundPassword?: string },
  idempotency?: IdempotencyRequest,
): Promise<Idempotent<Refund>> {
  const seen = await findReplay<Refund>(db.kysely, ctx, idempotency);
  if (seen) return seen;
  const row = await visibleRefundRow(db.kysely, actor, id);
  if (actor.merchantId !== row.merchant_id) throw errors.onlyMerchantReviews();
  const to: RefundStatus = input.decision === 'approve' ? 'pending_acquirer' : 'rejected_by_merchant';
  if (input.decision === 'reject' && !input.reason?.trim()) {
    throw errors.rejectionReasonRequired();
  }
  let stamp: refundPasswords.RefundPasswordStamp | undefined;
  if (input.decision === 'approve' && actor.kind !== 'api_key') {
    stamp = await refundPasswords.verifyRefundPassword(
      db,
      ctx,
      actor,
      row.merchant_id,
      input.refundPassword,
      'refund approval',
    );
  }
  return idempotentTransaction(db, ctx, idempotency, async (trx) => {
    const current = await getLockedRefund(trx, id);
    if (current.status !== 'pending_merchant') throw errors.invalidTransition(current.status as RefundStatus, to);
    await refundPasswords.assertRefundPasswordUnchanged(trx, current.merchant_id, stamp);
    const moved =
      input.decision === 'approve'
        ? await transition(
            trx,
            ctx,
            current,
            'pending_acquirer',
            auditActorOf(actor),
            input.reason ?? 'approved by the merchant',
            {
              decision_reason: input.reason ?? null,
            },
          )
        : await transition(trx, ctx, current, 'rejected_by_merchant', auditActorOf(actor), input.reason ?? null, {
            decision_reason: input.reason ?? null,
          });
    if (input.decision === 'approve') await enqueueJob(trx, ctx, JOB_ACQUIRER_REVIEW, { refundId: id });
    return toRefund(trx, moved);
  });
}

/**
 * 支付机构审核 by hand: a reviewer of the merchant's acquirer approves (to processing) or rejects.
 * With an Idempotency-Key a retry replays the first decision.
 * @throws not_found, forbidden, validation_failed, invalid_transition, idempotency_conflict
 */
export async function decideAsAcquirer(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  id: string,
  input: { decision: Decision; reason: string },
  idempotency?: IdempotencyRequest,
): Promise<Idempotent<Refund>> {
  const seen = await findReplay<Refund>(db.kysely, ctx, idempotency);
  if (seen) return seen;
  await visibleRefundRow(db.kysely, actor, id);
  if (actor.role !== 'acquirer_reviewer') throw errors.onlyAcquirerReviewerDecides();
  const to: RefundStatus = input.decision === 'approve' ? 'processing' : 'rejected_by_acquirer';
  return idempotentTransaction(db, ctx, idempotency, async (trx) => {
    const current = await getLockedRefund(trx, id);
    if (current.status !== 'pending_acquirer') throw errors.invalidTransition(current.status as RefundStatus, to);
    const moved =
      input.decision === 'approve'
        ? await sendToProcessor(trx, ctx, current, auditActorOf(actor), `approved by the acquirer: ${input.reason}`, {
            decision_reason: input.reason,
            acquirer_review: 'manual',
          })
        : await transition(trx, ctx, current, 'rejected_by_acquirer', auditActorOf(actor), input.reason, {
            decision_reason: input.reason,
          });
    return toRefund(trx, moved);
  });
}

/** The acquirer's manual review queue: refunds of its merchants waiting for a person. */
export async function listManualReviews(
  conn: Conn,
  actor: Actor,
  q: { limit: number; cursor?: string },
): Promise<Page<Refund>> {
  const scope = merchantListScope(actor);
  if (!scope || scope.merchantId) return { data: [], nextCursor: null };
  const rows = await repo.listManualReviewRows(conn, scope.acquirerId ?? null, q.limit + 1, q.cursor);
  const page = pageOf(rows, q.limit);
  return { ...page, data: await toRefunds(conn, page.data) };
}

// ── the acquirer's rules ─────────────────────────────────────────────────────

/** A rule returns why a refund needs a person, or null when it may be approved automatically. */
export type AcquirerRule = (conn: Conn, refund: Refund) => Promise<string | null>;
/** The acquirer's rules by name, assembled at start-up (`src/wiring.ts`) from every domain's. */
export type AcquirerRules = Readonly<Record<string, AcquirerRule>>;

/** The refunds domain's own rules; other domains export theirs (disputes: "no open dispute"). */
export const refundAcquirerRules: AcquirerRules = {
  amount_within_threshold: async (conn, r) => {
    const policy = await getRefundPolicy(conn, r.merchantId);
    return r.amount > policy.acquirerManualReviewAbove ? 'amount above the manual-review threshold' : null;
  },
  within_window: async (conn, r) => {
    const [policy, payment] = await Promise.all([
      getRefundPolicy(conn, r.merchantId),
      payments.findPaymentById(conn, r.paymentId),
    ]);
    if (!payment) return 'payment not found';
    const deadline = new Date(payment.createdAt).getTime() + policy.windowDays * 86_400_000;
    return new Date(r.createdAt).getTime() > deadline ? 'outside the refund window' : null;
  },
  payment_captured: async (conn, r) => {
    const payment = await payments.findPaymentById(conn, r.paymentId);
    if (!payment || payment.capturedAmount === 0) return 'no money was captured';
    return payment.flagged ? 'the payment is flagged' : null;
  },
  // A sale of the open batch is voided (撤销), not refunded: a refund of one needs a person's look.
  payment_settled: async (conn, r) => {
    const payment = await payments.findPaymentById(conn, r.paymentId);
    return payment && (await settlement.isPaymentSettled(conn, payment)) ? null : 'the sale is not settled yet';
  },
  payment_failure_is_real: async (conn, r) => {
    if (r.reason !== 'payment_failure') return null;
    const payment = await payments.findPaymentById(conn, r.paymentId);
    return payment?.status === 'failed' && payment.capturedAmount > 0
      ? null
      : 'reason is payment failure but the payment shows no money taken without success';
  },
};

/** Why a refund needs manual review (every failing rule), or [] when it may be auto-approved. */
export async function manualReviewReasons(conn: Conn, rules: AcquirerRules, refund: Refund): Promise<string[]> {
  const reasons = await Promise.all(Object.values(rules).map((rule) => rule(conn, refund)));
  return reasons.filter((r): r is string => r !== null);
}

/**
 * The acquirer's automatic review: approve when every rule passes, otherwise queue for a person.
 * A request the merchant never answered always goes to a person. Safe to run twice. The rules read
 * inside the transaction, under the refund's lock, so they judge the refund as it is.
 */
async function acquirerReview(
  db: Db,
  ctx: AppContext,
  rules: AcquirerRules,
  payload: Record<string, unknown>,
): Promise<void> {
  const id = String(payload.refundId);
  await transaction(db, async (trx) => {
    const current = (await lockRefund(trx, id))?.refund;
    if (current?.status !== 'pending_acquirer' || current.acquirer_review === 'manual') return;
    const reasons = await manualReviewReasons(trx, rules, await toRefund(trx, current));
    if (reasons.length === 0) {
      await sendToProcessor(trx, ctx, current, SYSTEM, 'approved by the acquirer’s rules', { acquirer_review: 'auto' });
    } else {
      await queueForReviewer(trx, ctx, current, reasons);
    }
  });
}

/** The processor's answer: `processing` → `succeeded` (with a trace reference) or `failed`. */
async function processRefund(db: Db, ctx: AppContext, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.refundId);
  await transaction(db, async (trx) => {
    const locked = await lockRefund(trx, id);
    const current = locked?.refund;
    if (!locked || current?.status !== 'processing') return;
    // Counted and answered under the lock: a retry cannot slip an attempt in between.
    const attempts = (await repo.listEventRows(trx, id)).filter((e) => e.to_status === 'processing').length;
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
  });
}

/** A customer request the merchant left unanswered past its deadline goes to the acquirer, by hand. */
async function merchantDeadline(db: Db, ctx: AppContext, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.refundId);
  await transaction(db, async (trx) => {
    const row = (await lockRefund(trx, id))?.refund;
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
  });
}

/** The refunds domain's jobs; the acquirer's review applies `rules` (all domains' rules). */
export function refundJobHandlers(rules: AcquirerRules): Record<string, JobHandler> {
  return {
    [JOB_ACQUIRER_REVIEW]: (db, ctx, payload) => acquirerReview(db, ctx, rules, payload),
    [JOB_PROCESS]: processRefund,
    [JOB_MERCHANT_DEADLINE]: merchantDeadline,
  };
}

/** Refunds waiting for a review decision, by stage: the merchant's (customer requests), the acquirer's. */
export async function countWaitingForReview(conn: Conn): Promise<{ merchant: number; acquirer: number }> {
  const n = await repo.countByStatus(conn, ['pending_merchant', 'pending_acquirer']);
  return { merchant: n.get('pending_merchant') ?? 0, acquirer: n.get('pending_acquirer') ?? 0 };
}
