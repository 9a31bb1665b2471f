import { type Actor, auditActorOf, merchantListScope } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import type { Db } from '../db/connect.js';
import { type Page, pageOf } from '../db/page.js';
import type { Conn } from '../db/transaction.js';
import {
  findReplay,
  type IdempotencyRequest,
  type Idempotent,
  idempotentTransaction,
} from '../idempotency/idempotency.service.js';
import { enqueueJob } from '../jobs/job.service.js';
import * as errors from './refund.errors.js';
import { JOB_ACQUIRER_REVIEW, type Refund, type RefundStatus } from './refund.js';
import * as repo from './refund.repository.js';
import { getLockedRefund, sendToProcessor, visibleRefundRow } from './refund.service.js';
import { toRefund, toRefunds, transition } from './refund.transitions.js';

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
 * With an Idempotency-Key a retry replays the first decision. (The route's schema requires a reason.)
 * @throws not_found, forbidden, invalid_transition, idempotency_conflict
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

/** Refunds waiting for a review decision, by stage: the merchant's (customer requests), the acquirer's. */
export async function countWaitingForReview(conn: Conn): Promise<{ merchant: number; acquirer: number }> {
  const n = await repo.countByStatus(conn, ['pending_merchant', 'pending_acquirer']);
  return { merchant: n.get('pending_merchant') ?? 0, acquirer: n.get('pending_acquirer') ?? 0 };
}
