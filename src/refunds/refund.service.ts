import { type Actor, auditActorOf, canSeeMerchant, merchantListScope } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import type { Db } from '../db/connect.js';
import { failpoint } from '../db/failpoints.js';
import { type Page, pageOf } from '../db/page.js';
import { type Conn, hasRowLocks, onCommit, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import {
  findReplay,
  type IdempotencyRequest,
  type Idempotent,
  idempotentTransaction,
} from '../idempotency/idempotency.service.js';
import { newId } from '../ids.js';
import { enqueueJob } from '../jobs/job.service.js';
import * as merchants from '../merchants/merchant.service.js';
import { money } from '../money.js';
import * as journal from '../payments/journal.service.js';
import { refundExceedsRefundable } from '../payments/payment.errors.js';
import { assertRefundable, type LockedPayment } from '../payments/payment.js';
import * as payments from '../payments/payment.service.js';
import * as receipts from '../payments/payment-receipt.service.js';
import type { RefundTable } from '../refunds/refund.tables.js';
import * as errors from './refund.errors.js';
import {
  amountsMoved,
  JOB_ACQUIRER_REVIEW,
  JOB_MERCHANT_DEADLINE,
  JOB_PROCESS,
  type LockedRefundRow,
  type Refund,
  type RefundChannel,
  type RefundReason,
  type RefundStatus,
} from './refund.js';
import * as repo from './refund.repository.js';
import {
  type EventActor,
  recordStep,
  releaseFailedRefund,
  toRefund,
  toRefunds,
  transition,
} from './refund.transitions.js';

// What other domains (disputes) use of the refund journey, in one place.
export { getRefundPolicy, getRefundPolicyAt } from './refund-policy.service.js';
export { JOB_ACQUIRER_REVIEW, JOB_MERCHANT_DEADLINE, JOB_PROCESS };

export interface NewRefundRow {
  payment: LockedPayment;
  amount: number;
  currency?: string;
  reason: RefundReason;
  channel: RefundChannel;
  status: RefundStatus;
  note?: string | null;
  extra?: Partial<RefundTable>;
}

/**
 * Reserves `amount` against a payment locked by the caller (`payments.lockPayment`) and inserts the
 * refund with its first timeline step. Invariant 1 lives here: the check and the insert share the
 * transaction that holds the payment's lock.
 * @throws payment_not_refundable, currency_mismatch, refund_exceeds_refundable
 */
export async function reserveRefund(
  trx: Tx,
  ctx: AppContext,
  input: NewRefundRow,
  actor: EventActor,
  stepNote: string,
): Promise<LockedRefundRow> {
  const { payment } = input;
  const currency = input.currency ?? payment.currency;
  assertRefundable(payment, input.amount, currency);
  money(input.amount, currency);
  const at = ctx.clock.now().toISOString();
  const row: RefundTable = {
    id: newId('re'),
    payment_id: payment.id,
    merchant_id: payment.merchantId,
    amount: input.amount,
    currency,
    reason: input.reason,
    status: input.status,
    channel: input.channel,
    note: input.note ?? null,
    failure_reason: null,
    failure_final: 0,
    processor_reference: null,
    created_at: at,
    updated_at: at,
    description: null,
    customer_email: null,
    customer_phone: null,
    customer_language: null,
    tracking_secret_hash: null,
    merchant_deadline_at: null,
    acquirer_review: null,
    decision_reason: null,
    dispute_id: null,
    ...input.extra,
  };
  await repo.insertRefund(trx, row);
  await payments.moveRefundAmounts(
    trx,
    payment.id,
    amountsMoved(row.amount, null, { status: input.status, failureFinal: false }),
  );
  await recordStep(trx, ctx, row, null, input.status, actor, stepNote);
  const { channel, status, amount } = row;
  onCommit(trx, () => ctx.metrics.refundCreated({ channel, status, amount, currency }));
  return row as LockedRefundRow;
}

/**
 * Takes the lock of the refund's payment (`payments.lockPayment`), then reads the refund: a read
 * made after the lock is current, since every writer of this payment's refunds takes it first.
 * Every change of a refund's state starts here, in the transaction that makes the change.
 */
export async function lockRefund(
  trx: Tx,
  id: string,
): Promise<{ refund: LockedRefundRow; payment: LockedPayment } | undefined> {
  const before = await repo.findRefundRow(trx, id); // its payment_id never changes
  const payment = before ? await payments.lockPayment(trx, before.payment_id) : undefined;
  // Read again under the payment's row lock (PostgreSQL). On SQLite the transaction has held the
  // database's write lock since its BEGIN IMMEDIATE: the first read already was current.
  const refund = payment ? (hasRowLocks(trx) ? await repo.findRefundRow(trx, id) : before) : undefined;
  return refund && payment ? { refund: refund as LockedRefundRow, payment } : undefined;
}

/** `lockRefund` for a refund that must exist. @throws not_found */
export async function getLockedRefund(trx: Tx, id: string): Promise<LockedRefundRow> {
  const locked = await lockRefund(trx, id);
  if (!locked) throw notFound('refund');
  return locked.refund;
}

export interface CounterRefundInput {
  paymentId: string;
  amount: number;
  reason: RefundReason;
  refundPassword?: string;
  note?: string;
  currency?: string;
}

/**
 * A refund started by the merchant (terminal operator, owner, or an API key with `refunds:write`).
 * It is authorised by the refund password (API keys are the authorisation themselves) and goes
 * straight to the acquirer's review. A replay of its Idempotency-Key answers the first response
 * without the password: the password authorises new money movement, and a replay moves none.
 * @throws not_found, refund_password_required, refund_password_invalid, refund_password_expired,
 *   refund_password_unset, refund_password_changed, locked, payment_not_refundable, currency_mismatch, refund_exceeds_refundable, idempotency_conflict
 */
export async function createCounterRefund(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  input: CounterRefundInput,
  idempotency?: IdempotencyRequest,
): Promise<Idempotent<Refund>> {
  // People must see the payment before their refund password is checked (outside the transaction).
  // A replay moves no money: it answers the stored response before the password is consulted, so
  // a retry after a password change replays, and counts no attempt. An API key needs no password
  // and acts for its own merchant only: its check is made on the locked row below, which spares
  // the merchants' systems three reads on their hot path.
  let stamp: refundPasswords.RefundPasswordStamp | undefined;
  if (actor.kind !== 'api_key') {
    const visible = await payments.getPayment(db.kysely, actor, input.paymentId);
    const seen = await findReplay<Refund>(db.kysely, ctx, idempotency);
    if (seen) return seen;
    stamp = await refundPasswords.verifyRefundPassword(
      db,
      ctx,
      actor,
      visible.merchantId,
      input.refundPassword,
      'refund',
    );
  }
  const channel: RefundChannel = actor.kind === 'operator' ? 'counter' : actor.kind === 'api_key' ? 'api' : 'console';
  return idempotentTransaction(db, ctx, idempotency, async (trx) => {
    const payment = await payments.lockPayment(trx, input.paymentId);
    if (!payment || (actor.kind === 'api_key' && payment.merchantId !== actor.merchantId)) throw notFound('payment');
    await refundPasswords.assertRefundPasswordUnchanged(trx, payment.merchantId, stamp);
    const row = await reserveRefund(
      trx,
      ctx,
      { ...input, payment, channel, status: 'pending_acquirer' },
      auditActorOf(actor),
      'refund requested by the merchant',
    );
    if (actor.kind === 'operator' && actor.terminalId && actor.merchantId) {
      const at = {
        terminalId: actor.terminalId,
        merchantId: actor.merchantId,
        operatorId: actor.id,
        now: row.created_at,
      };
      await journal.recordCounterRefund(trx, at, { ...row, paymentId: row.payment_id });
    }
    await enqueueJob(trx, ctx, JOB_ACQUIRER_REVIEW, { refundId: row.id });
    return toRefund(trx, row);
  });
}

export async function visibleRefundRow(conn: Conn, actor: Actor, id: string): Promise<RefundTable> {
  const row = await repo.findRefundRow(conn, id);
  const merchant = row ? await merchants.findMerchant(conn, row.merchant_id) : undefined;
  if (!row || !merchant || !canSeeMerchant(actor, { merchantId: merchant.id, acquirerId: merchant.acquirerId })) {
    throw notFound('refund');
  }
  return row;
}

/** @throws not_found when absent or outside the actor's reach */
export async function getRefund(conn: Conn, actor: Actor, id: string): Promise<Refund> {
  return toRefund(conn, await visibleRefundRow(conn, actor, id));
}

/** Unscoped, for other domains (disputes) that reached the refund through their own checks. */
export async function findRefundById(conn: Conn, id: string): Promise<Refund | undefined> {
  const row = await repo.findRefundRow(conn, id);
  return row ? toRefund(conn, row) : undefined;
}

export async function listRefundsOfPayment(conn: Conn, paymentId: string): Promise<Refund[]> {
  const rows = await repo.listRefundRowsOfPayment(conn, paymentId);
  return toRefunds(conn, rows);
}

export async function listRefunds(
  conn: Conn,
  actor: Actor,
  q: { limit: number; cursor?: string; status?: RefundStatus; paymentId?: string },
): Promise<Page<Refund>> {
  const scope = merchantListScope(actor);
  if (!scope) return { data: [], nextCursor: null };
  const rows = await repo.listRefundRows(conn, {
    ...scope,
    status: q.status,
    paymentId: q.paymentId,
    before: q.cursor,
    limit: q.limit + 1,
  });
  const page = pageOf(rows, q.limit);
  return { ...page, data: await toRefunds(conn, page.data) };
}

/**
 * Cancels a refund: the merchant's people while it waits for the acquirer. The reservation is
 * released. @throws not_found, forbidden, invalid_transition
 */
export async function cancelRefund(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  id: string,
  reason?: string,
): Promise<Refund> {
  // The visibility read decides 404; the state is judged under the lock, inside the transaction.
  const row = await visibleRefundRow(db.kysely, actor, id);
  if (actor.merchantId !== row.merchant_id) throw errors.onlyMerchantCancels();
  return transaction(db, async (trx) => {
    const current = await getLockedRefund(trx, id);
    if (current.status !== 'pending_acquirer')
      throw errors.invalidTransition(current.status as RefundStatus, 'canceled');
    const moved = await transition(
      trx,
      ctx,
      current,
      'canceled',
      auditActorOf(actor),
      reason ?? 'canceled by the merchant',
    );
    return toRefund(trx, moved);
  });
}

function processorAnswerAt(ctx: AppContext): Date {
  return new Date(ctx.clock.now().getTime() + ctx.config.refundProcessingDelayMs);
}

/** Sends a refund to the processor (`processing`), in the caller's transaction. */
export async function sendToProcessor(
  trx: Tx,
  ctx: AppContext,
  row: LockedRefundRow,
  actor: EventActor,
  note: string,
  extra: Parameters<typeof transition>[6] = {},
): Promise<LockedRefundRow> {
  const moved = await transition(trx, ctx, row, 'processing', actor, note, extra);
  await enqueueJob(trx, ctx, JOB_PROCESS, { refundId: row.id }, processorAnswerAt(ctx));
  return moved;
}

/**
 * Retries a failed refund that may still be retried: it kept its reservation, so it goes straight
 * back to processing. A final failure was released and is refused. The merchant's supervisor or
 * owner, or the acquirer (the route holds the roles). With an Idempotency-Key a retried retry replays.
 * @throws not_found, invalid_transition, refund_failure_final, idempotency_conflict
 */
export async function retryRefund(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  id: string,
  idempotency?: IdempotencyRequest,
): Promise<Idempotent<Refund>> {
  await visibleRefundRow(db.kysely, actor, id);
  return idempotentTransaction(db, ctx, idempotency, async (trx) => {
    const row = await getLockedRefund(trx, id);
    if (row.status !== 'failed') throw errors.invalidTransition(row.status as RefundStatus, 'processing');
    if (row.failure_final === 1) throw errors.refundFailureFinal(row.failure_reason);
    const moved = await sendToProcessor(trx, ctx, row, auditActorOf(actor), 'retry', { failure_reason: null });
    return toRefund(trx, moved);
  });
}

/**
 * The acquirer's dispute ruling for the customer: a new refund, bounded by what is still
 * refundable, straight to processing (the ruling is both reviews).
 * @throws not_found, refund_exceeds_refundable (nothing left: a payment that cannot be refunded has
 *   nothing left either)
 */
export async function forceRefundForDispute(
  db: Db,
  ctx: AppContext,
  input: {
    paymentId: string;
    amount: number;
    reason: RefundReason;
    disputeId: string;
    actor: EventActor;
    /** The disputed refund: if it failed and still holds its amount, the ruling releases it first. */
    supersedes?: string | null;
  },
): Promise<Refund> {
  return transaction(db, (trx) => forceRefundForDisputeIn(trx, ctx, input));
}

/**
 * `forceRefundForDispute` inside the caller's transaction: the ruling makes its refund in its own
 * transaction, so a ruling for the customer and the refund it orders commit together.
 */
export async function forceRefundForDisputeIn(
  trx: Tx,
  ctx: AppContext,
  input: Parameters<typeof forceRefundForDispute>[2],
): Promise<Refund> {
  if (!(await payments.lockPayment(trx, input.paymentId))) throw notFound('payment');
  const superseded = input.supersedes ? (await lockRefund(trx, input.supersedes))?.refund : undefined;
  if (superseded?.payment_id === input.paymentId) {
    const note = `released: superseded by the ruling of dispute ${input.disputeId}`;
    await releaseFailedRefund(trx, ctx, superseded, input.actor, note);
  }
  await failpoint('dispute-ruling:released');
  // Read again under the lock already held: the release above is now in the totals.
  const payment = (await payments.lockPayment(trx, input.paymentId)) as LockedPayment;
  const amount = Math.min(input.amount, payment.refundableAmount);
  if (amount <= 0) throw refundExceedsRefundable(0, payment.currency);
  const row = await reserveRefund(
    trx,
    ctx,
    {
      payment,
      amount,
      reason: input.reason,
      channel: 'console',
      status: 'pending_acquirer',
      extra: { dispute_id: input.disputeId },
    },
    input.actor,
    `ordered by the ruling of dispute ${input.disputeId}`,
  );
  const moved = await sendToProcessor(
    trx,
    ctx,
    row,
    input.actor,
    `approved by the ruling of dispute ${input.disputeId}`,
    {
      acquirer_review: 'manual',
    },
  );
  return toRefund(trx, moved);
}

/** @throws not_found */
export async function getRefundReceipt(conn: Conn, actor: Actor, id: string, timeZone?: string) {
  const refund = await getRefund(conn, actor, id);
  return receipts.refundReceiptFor(conn, refund.paymentId, refund, timeZone);
}
