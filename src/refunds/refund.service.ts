import { recordAudit } from '../audit/audit.service.js';
import { type Actor, canSeeMerchant } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import type { RefundTable } from '../db/schema.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { AppError, notFound } from '../errors.js';
import { type IdempotencyRequest, idempotentTransaction } from '../idempotency/idempotency.service.js';
import { newId } from '../ids.js';
import { enqueueJob, registerJobHandler } from '../jobs/job.service.js';
import * as merchants from '../merchants/merchant.service.js';
import { money } from '../money.js';
import * as payments from '../payments/payment.service.js';
import { settleRefund } from '../payments/processor.js';
import * as errors from './refund.errors.js';
import {
  canTransition,
  type EventActorKind,
  type Refund,
  type RefundChannel,
  type RefundEvent,
  type RefundReason,
  type RefundStatus,
} from './refund.js';
import * as repo from './refund.repository.js';

export const JOB_ACQUIRER_REVIEW = 'refund.acquirer_review';
export const JOB_PROCESS = 'refund.process';

interface EventActor {
  kind: EventActorKind;
  id: string | null;
}

function eventActorOf(actor: Actor): EventActor {
  return { kind: actor.kind, id: actor.id };
}

const SYSTEM: EventActor = { kind: 'system', id: null };

async function toRefund(conn: Conn, r: RefundTable): Promise<Refund> {
  const events = await repo.listEventRows(conn, r.id);
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
    processorReference: r.processor_reference,
    timeline: events.map(
      (e): RefundEvent => ({
        from: e.from_status as RefundStatus | null,
        to: e.to_status as RefundStatus,
        actor: { kind: e.actor_kind as EventActorKind, id: e.actor_id },
        note: e.note,
        at: e.created_at,
      }),
    ),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** For the payments service: succeeded and still-reserved refund sums of one payment. */
export function refundTotals(conn: Conn, paymentId: string) {
  return repo.sumByPayment(conn, paymentId);
}

/**
 * Moves a refund from one state to the next: the conditional update and its timeline event in the
 * caller's transaction. @throws invalid_transition (not allowed, or someone moved it first)
 */
async function transition(
  trx: Tx,
  ctx: AppContext,
  refund: Pick<RefundTable, 'id' | 'status' | 'merchant_id' | 'amount' | 'currency'>,
  to: RefundStatus,
  actor: EventActor,
  note: string | null,
  extra: { failure_reason?: string | null; processor_reference?: string | null } = {},
): Promise<void> {
  const from = refund.status as RefundStatus;
  if (!canTransition(from, to)) throw errors.invalidTransition(from, to);
  const at = ctx.clock.now().toISOString();
  if (!(await repo.updateStatus(trx, refund.id, from, { status: to, updated_at: at, ...extra }))) {
    throw errors.invalidTransition(from, to);
  }
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
  await auditRefund(trx, ctx, refund, from, to, actor);
}

/** Invariant 3: the audit event of a refund state change commits with the change itself. */
async function auditRefund(
  trx: Tx,
  ctx: AppContext,
  refund: Pick<RefundTable, 'id' | 'merchant_id' | 'amount' | 'currency'>,
  from: RefundStatus | null,
  to: RefundStatus,
  actor: EventActor,
): Promise<void> {
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

export interface CounterRefundInput {
  paymentId: string;
  amount: number;
  reason: RefundReason;
  refundPassword?: string;
  note?: string;
}

/**
 * A refund started by the merchant (terminal operator, owner, or an API key with `refunds:write`).
 * It is authorised by the refund password (API keys are the authorisation themselves) and goes
 * straight to the acquirer's review. The amount is reserved against the payment under the
 * payment's lock, so concurrent refunds can never exceed what was captured.
 * @throws not_found, refund_password_required, refund_password_invalid, payment_not_refundable,
 *   currency_mismatch, refund_exceeds_refundable, idempotency_conflict
 */
export async function createCounterRefund(
  ctx: AppContext,
  actor: Actor,
  input: CounterRefundInput & { currency?: string },
  idempotency?: IdempotencyRequest,
): Promise<{ refund: Refund; replayed: boolean }> {
  const visible = await payments.getPayment(ctx, actor, input.paymentId);
  if (actor.kind !== 'api_key') {
    await refundPasswords.verifyRefundPassword(ctx, actor, visible.merchantId, input.refundPassword, 'refund');
  }
  const channel: RefundChannel = actor.kind === 'operator' ? 'counter' : actor.kind === 'api_key' ? 'api' : 'console';

  const result = await idempotentTransaction(ctx, idempotency, async (trx) => {
    const payment = await payments.lockPaymentForRefund(trx, input.paymentId);
    if (!payment) throw notFound('payment');
    if (payment.status !== 'approved' && payment.status !== 'failed') throw errors.paymentNotRefundable(payment.status);
    const currency = input.currency ?? payment.currency;
    if (currency !== payment.currency) throw new AppError('currency_mismatch', `the payment is in ${payment.currency}`);
    money(input.amount, currency);
    if (input.amount > payment.refundableAmount) {
      throw errors.refundExceedsRefundable(payment.refundableAmount, payment.currency);
    }
    const at = ctx.clock.now().toISOString();
    const row: RefundTable = {
      id: newId('re'),
      payment_id: payment.id,
      merchant_id: payment.merchantId,
      amount: input.amount,
      currency,
      reason: input.reason,
      status: 'pending_acquirer',
      channel,
      note: input.note ?? null,
      failure_reason: null,
      processor_reference: null,
      created_at: at,
      updated_at: at,
    };
    await repo.insertRefund(trx, row);
    await repo.insertEvent(trx, {
      id: newId('rev'),
      refund_id: row.id,
      from_status: null,
      to_status: 'pending_acquirer',
      actor_kind: actor.kind,
      actor_id: actor.id,
      note: 'refund requested by the merchant',
      created_at: at,
    });
    await auditRefund(trx, ctx, row, null, 'pending_acquirer', eventActorOf(actor));
    await enqueueJob(trx, ctx, JOB_ACQUIRER_REVIEW, { refundId: row.id });
    return toRefund(trx, row);
  });
  if (!result.replayed) ctx.wakeWorker();
  return { refund: result.value, replayed: result.replayed };
}

async function visibleRefundRow(ctx: AppContext, actor: Actor, id: string): Promise<RefundTable> {
  const row = await repo.findRefundRow(ctx.db.kysely, id);
  const merchant = row ? await merchants.findMerchant(ctx, row.merchant_id) : undefined;
  if (!row || !merchant || !canSeeMerchant(actor, { merchantId: merchant.id, acquirerId: merchant.acquirerId })) {
    throw notFound('refund');
  }
  return row;
}

/** @throws not_found when absent or outside the actor's reach */
export async function getRefund(ctx: AppContext, actor: Actor, id: string): Promise<Refund> {
  return toRefund(ctx.db.kysely, await visibleRefundRow(ctx, actor, id));
}

export async function listRefunds(
  ctx: AppContext,
  actor: Actor,
  q: { limit: number; cursor?: string; status?: RefundStatus; paymentId?: string },
): Promise<{ data: Refund[]; nextCursor: string | null }> {
  if (actor.role === 'agent_staff') return { data: [], nextCursor: null };
  const scope: Omit<repo.RefundPage, 'limit'> =
    actor.role === 'platform_admin'
      ? {}
      : actor.role === 'acquirer_reviewer'
        ? { acquirerId: actor.acquirerId ?? '-' }
        : { merchantId: actor.merchantId ?? '-' };
  const rows = await repo.listRefundRows(ctx.db.kysely, {
    ...scope,
    status: q.status,
    paymentId: q.paymentId,
    before: q.cursor,
    limit: q.limit + 1,
  });
  const data = await Promise.all(rows.slice(0, q.limit).map((r) => toRefund(ctx.db.kysely, r)));
  return { data, nextCursor: rows.length > q.limit ? (data.at(-1)?.id ?? null) : null };
}

/**
 * Cancels a refund: the merchant's people while it waits for the acquirer. The reservation is
 * released. @throws not_found, forbidden, invalid_transition
 */
export async function cancelRefund(ctx: AppContext, actor: Actor, id: string, reason?: string): Promise<Refund> {
  const row = await visibleRefundRow(ctx, actor, id);
  if (actor.merchantId !== row.merchant_id) throw new AppError('forbidden', 'only the merchant can cancel here');
  if (row.status !== 'pending_acquirer') throw errors.invalidTransition(row.status as RefundStatus, 'canceled');
  return transaction(ctx.db, async (trx) => {
    await transition(trx, ctx, row, 'canceled', eventActorOf(actor), reason ?? 'canceled by the merchant');
    return toRefund(trx, (await repo.findRefundRow(trx, id)) as RefundTable);
  });
}

/**
 * Retries a failed refund: re-reserves its amount under the payment lock (the failure released it,
 * so the refundable amount is checked again) and sends it back to processing.
 * @throws not_found, forbidden, invalid_transition, refund_exceeds_refundable
 */
export async function retryRefund(ctx: AppContext, actor: Actor, id: string): Promise<Refund> {
  const visible = await visibleRefundRow(ctx, actor, id);
  if (actor.role === 'cashier' || actor.role === 'agent_staff') throw new AppError('forbidden');
  const refund = await transaction(ctx.db, async (trx) => {
    const payment = await payments.lockPaymentForRefund(trx, visible.payment_id);
    const row = await repo.findRefundRow(trx, id);
    if (!payment || !row) throw notFound('refund');
    if (row.status !== 'failed') throw errors.invalidTransition(row.status as RefundStatus, 'processing');
    if (row.amount > payment.refundableAmount)
      throw errors.refundExceedsRefundable(payment.refundableAmount, row.currency);
    await transition(trx, ctx, row, 'processing', eventActorOf(actor), 'retry', { failure_reason: null });
    await enqueueJob(trx, ctx, JOB_PROCESS, { refundId: id }, processorAnswerAt(ctx));
    return toRefund(trx, (await repo.findRefundRow(trx, id)) as RefundTable);
  });
  ctx.wakeWorker();
  return refund;
}

function processorAnswerAt(ctx: AppContext): Date {
  return new Date(ctx.clock.now().getTime() + ctx.config.refundProcessingDelayMs);
}

/**
 * The acquirer's default rule: a refund that reached it from the merchant, within the refundable
 * amount, is approved and sent to the processor. (Manual review thresholds come with merchant
 * policy.) Safe to run twice: it acts only on `pending_acquirer`.
 */
async function acquirerAutoReview(ctx: AppContext, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.refundId);
  await transaction(ctx.db, async (trx) => {
    const row = await repo.findRefundRow(trx, id);
    if (row?.status !== 'pending_acquirer') return;
    await transition(trx, ctx, row, 'processing', SYSTEM, 'approved by the acquirer’s rules');
    await enqueueJob(trx, ctx, JOB_PROCESS, { refundId: id }, processorAnswerAt(ctx));
  });
}

/** The processor's answer: `processing` → `succeeded` (with a trace reference) or `failed`. */
async function processRefund(ctx: AppContext, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.refundId);
  const row = await repo.findRefundRow(ctx.db.kysely, id);
  if (row?.status !== 'processing') return;
  const payment = await payments.findPaymentById(ctx, row.payment_id);
  if (!payment) throw new Error(`refund ${id} points at a missing payment`);
  const outcome = settleRefund(payment.card);
  await transaction(ctx.db, async (trx) => {
    const current = await repo.findRefundRow(trx, id);
    if (current?.status !== 'processing') return;
    if (outcome.kind === 'succeeded') {
      await transition(trx, ctx, current, 'succeeded', SYSTEM, 'the processor confirmed the refund', {
        processor_reference: outcome.processorReference,
      });
    } else {
      await transition(trx, ctx, current, 'failed', SYSTEM, `the processor failed: ${outcome.failureReason}`, {
        failure_reason: outcome.failureReason,
      });
    }
  });
}

registerJobHandler(JOB_ACQUIRER_REVIEW, acquirerAutoReview);
registerJobHandler(JOB_PROCESS, processRefund);

/** The refund slip, merchant and customer copies. @throws not_found */
export async function getRefundReceipt(ctx: AppContext, actor: Actor, id: string) {
  const refund = await getRefund(ctx, actor, id);
  return payments.refundReceiptFor(ctx, refund.paymentId, refund);
}
