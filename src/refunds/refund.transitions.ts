import { recordAudit } from '../audit/audit.service.js';
import type { AppContext } from '../context.js';
import { type Conn, onCommit, type Tx } from '../db/transaction.js';
import { newId } from '../ids.js';
import { notifyMerchantOwner, queueNotification } from '../notifications/notification.service.js';
import { moveRefundAmounts } from '../payments/payment.service.js';
import type { RefundEventTable, RefundTable } from '../refunds/refund.tables.js';
import { emitWebhookEvent } from '../webhooks/webhook.service.js';
import * as errors from './refund.errors.js';
import {
  amountsMoved,
  canTransition,
  type EventActorKind,
  expectedArrival,
  type LockedRefundRow,
  type Refund,
  type RefundChannel,
  type RefundEvent,
  type RefundReason,
  type RefundStatus,
} from './refund.js';
import { customerTemplateFor } from './refund.notifications.js';
import * as repo from './refund.repository.js';
import { customerLanguage, trackingPage } from './refund-tracking.js';

export interface EventActor {
  kind: EventActorKind;
  id: string | null;
  /** Where a person acted from (HTTP): for the audit event only, not the refund's timeline. */
  ip?: string | null;
}

export const SYSTEM: EventActor = { kind: 'system', id: null };

export async function toRefund(conn: Conn, r: RefundTable): Promise<Refund> {
  return refundRowToRefund(r, await repo.listEventRows(conn, r.id));
}

/** Many refunds with their timelines, in one query for all the events (lists make no query per row). */
export async function toRefunds(conn: Conn, rows: RefundTable[]): Promise<Refund[]> {
  const events = await repo.listEventRowsOf(
    conn,
    rows.map((r) => r.id),
  );
  return rows.map((r) => refundRowToRefund(r, events.get(r.id) ?? []));
}

export function refundRowToRefund(r: RefundTable, events: RefundEventTable[]): Refund {
  return {
    ...refundFields(r),
    timeline: events.map(
      (e): RefundEvent => ({
        from: e.from_status as RefundStatus | null,
        to: e.to_status as RefundStatus,
        actor: { kind: e.actor_kind as EventActorKind, id: e.actor_id },
        note: e.note,
        at: e.created_at,
      }),
    ),
  };
}

/** A refund's own fields, without its timeline (which costs a read of its events). */
export function refundFields(r: RefundTable): Omit<Refund, 'timeline'> {
  return {
    id: r.id,
    status: r.status as RefundStatus,
    paymentId: r.payment_id,
    merchantId: r.merchant_id,
    amount: r.amount,
    currency: r.currency,
    reason: r.reason as RefundReason,
    channel: r.channel as RefundChannel,
    note: r.note,
    failureReason: r.failure_reason,
    failureFinal: r.failure_final === 1,
    processorReference: r.processor_reference,
    description: r.description,
    customer: r.customer_email || r.customer_phone ? { email: r.customer_email, phone: r.customer_phone } : null,
    merchantDeadlineAt: r.merchant_deadline_at,
    acquirerReview: (r.acquirer_review as Refund['acquirerReview']) ?? null,
    decisionReason: r.decision_reason,
    disputeId: r.dispute_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const WEBHOOK_EVENT: Partial<Record<RefundStatus, string>> = {
  pending_acquirer: 'refund.pending_acquirer',
  processing: 'refund.processing',
  succeeded: 'refund.succeeded',
  failed: 'refund.failed',
  rejected_by_merchant: 'refund.rejected',
  rejected_by_acquirer: 'refund.rejected',
  canceled: 'refund.canceled',
};

/**
 * Everything that goes with a refund entering `to`, in the same transaction (invariant 3): the
 * timeline event, the audit event, the customer's message, the merchant's webhook.
 */
export async function recordStep(
  trx: Tx,
  ctx: AppContext,
  refund: RefundTable,
  from: RefundStatus | null,
  to: RefundStatus,
  actor: EventActor,
  note: string | null,
): Promise<void> {
  const at = ctx.clock.now().toISOString();
  await repo.insertEvent(trx, {
    id: newId('rev'),
    refund_id: refund.id,
    from_status: from,
    to_status: to,
    actor_kind: actor.kind,
    actor_id: actor.id,
    note,
    created_at: at,
  });
  const view = { ...refund, status: to };
  const data = { refundId: refund.id, amount: refund.amount, currency: refund.currency, status: to };
  await emitWebhookEvent(
    trx,
    ctx,
    refund.merchant_id,
    from === null ? 'refund.created' : (WEBHOOK_EVENT[to] ?? 'refund.updated'),
    {
      ...data,
      paymentId: refund.payment_id,
      reason: refund.reason,
      processorReference: view.processor_reference,
    },
  );
  const template = customerTemplateFor(to, from, refund.failure_final === 1);
  if (template) {
    const language = customerLanguage(refund.customer_language);
    const details = {
      ...data,
      page: trackingPage(ctx.config.publicBaseUrl, refund.id, language),
      reason: view.decision_reason ?? view.failure_reason ?? '',
      trace: view.processor_reference ?? '',
      arrival: expectedArrival(ctx.clock.now()),
    };
    for (const [channel, to_] of [
      ['email', refund.customer_email],
      ['sms', refund.customer_phone],
    ] as const) {
      if (!to_) continue;
      await queueNotification(trx, ctx, {
        merchantId: refund.merchant_id,
        channel,
        to: to_,
        template,
        language,
        data: details,
        dedupeKey: `refund:${refund.id}:${to}:${channel}:${at}`,
      });
    }
  }
  if (from === null && refund.channel === 'customer') {
    await notifyMerchantOwner(
      trx,
      ctx,
      refund.merchant_id,
      'refund_request_received',
      data,
      `refund:${refund.id}:owner:new`,
    );
  }
  if (to === 'succeeded') {
    await notifyMerchantOwner(
      trx,
      ctx,
      refund.merchant_id,
      'refund_succeeded_merchant',
      data,
      `refund:${refund.id}:owner:ok`,
    );
  }
  await recordAudit(trx, ctx, {
    merchantId: refund.merchant_id,
    actor,
    action: from === null ? 'refund.created' : 'refund.status_changed',
    outcome: 'success',
    objectType: 'refund',
    objectId: refund.id,
    details: { from, to, amount: refund.amount, currency: refund.currency },
  });
}

/**
 * The acquirer's rules could not approve the refund: it waits for a reviewer, and the timeline
 * says so and why (an event whose state does not change), with an audit event, in the caller's
 * transaction (invariant 3). The customer's page shows the step without the reasons.
 */
export async function queueForReviewer(
  trx: Tx,
  ctx: AppContext,
  refund: LockedRefundRow,
  reasons: string[],
): Promise<void> {
  if (!(await repo.markForManualReview(trx, refund.id))) return;
  await repo.insertEvent(trx, {
    id: newId('rev'),
    refund_id: refund.id,
    from_status: 'pending_acquirer',
    to_status: 'pending_acquirer',
    actor_kind: SYSTEM.kind,
    actor_id: SYSTEM.id,
    note: `waiting for a reviewer: ${reasons.join('; ')}`,
    created_at: ctx.clock.now().toISOString(),
  });
  await recordAudit(trx, ctx, {
    merchantId: refund.merchant_id,
    actor: SYSTEM,
    action: 'refund.manual_review',
    outcome: 'success',
    objectType: 'refund',
    objectId: refund.id,
    details: { reasons, amount: refund.amount, currency: refund.currency },
  });
}

/**
 * Gives up a failed refund that could still be retried: its reservation is released (a ruling
 * orders a new refund instead). A timeline event (the state stays `failed`) and an audit event, in
 * the caller's transaction. Does nothing to a refund that is not such a failure.
 */
export async function releaseFailedRefund(
  trx: Tx,
  ctx: AppContext,
  refund: LockedRefundRow,
  actor: EventActor,
  note: string,
): Promise<void> {
  const at = ctx.clock.now().toISOString();
  if (!(await repo.markFailureFinal(trx, refund.id, at))) return;
  await moveRefundAmounts(trx, refund.payment_id, { reserved: -refund.amount, refunded: 0 });
  await repo.insertEvent(trx, {
    id: newId('rev'),
    refund_id: refund.id,
    from_status: 'failed',
    to_status: 'failed',
    actor_kind: actor.kind,
    actor_id: actor.id,
    note,
    created_at: at,
  });
  await recordAudit(trx, ctx, {
    merchantId: refund.merchant_id,
    actor,
    action: 'refund.released',
    outcome: 'success',
    objectType: 'refund',
    objectId: refund.id,
    details: { amount: refund.amount, currency: refund.currency },
  });
}

/**
 * Moves a refund from its current state to `to`: a conditional update (zero rows = someone moved
 * it first) plus everything `recordStep` writes, all in the caller's transaction.
 * @throws invalid_transition
 */
export async function transition(
  trx: Tx,
  ctx: AppContext,
  refund: LockedRefundRow,
  to: RefundStatus,
  actor: EventActor,
  note: string | null,
  extra: Partial<
    Pick<
      RefundTable,
      'failure_reason' | 'failure_final' | 'processor_reference' | 'decision_reason' | 'acquirer_review' | 'dispute_id'
    >
  > = {},
): Promise<LockedRefundRow> {
  const from = refund.status as RefundStatus;
  if (!canTransition(from, to)) throw errors.invalidTransition(from, to);
  if (from === 'failed' && refund.failure_final === 1) throw errors.refundFailureFinal(refund.failure_reason);
  const at = ctx.clock.now().toISOString();
  if (!(await repo.updateStatus(trx, refund, { status: to, updated_at: at, ...extra }))) {
    throw errors.invalidTransition(from, to);
  }
  const moved: LockedRefundRow = { ...refund, ...extra, status: to, updated_at: at };
  await moveRefundAmounts(
    trx,
    refund.payment_id,
    amountsMoved(
      refund.amount,
      { status: from, failureFinal: refund.failure_final === 1 },
      { status: to, failureFinal: moved.failure_final === 1 },
    ),
  );
  await recordStep(trx, ctx, moved, from, to, actor, note);
  const waitedSeconds = (Date.parse(at) - Date.parse(refund.updated_at)) / 1000;
  onCommit(trx, () => ctx.metrics.refundMoved({ channel: refund.channel, from, to, waitedSeconds }));
  return moved;
}
