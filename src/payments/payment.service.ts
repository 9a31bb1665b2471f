import { randomInt } from 'node:crypto';
import { recordAudit } from '../audit/audit.service.js';
import {
  type Actor,
  assertRole,
  auditActorOf,
  canActOnTerminal,
  canSeeMerchant,
  merchantListScope,
  type Role,
} from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { constantTimeEqual } from '../credentials/hashing.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import type { Db } from '../db/connect.js';
import { failpoint, isPlanted } from '../db/failpoints.js';
import { type Page, pageOf } from '../db/page.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import {
  findReplay,
  type IdempotencyRequest,
  type Idempotent,
  idempotentTransaction,
} from '../idempotency/idempotency.service.js';
import { newId } from '../ids.js';
import * as merchants from '../merchants/merchant.service.js';
import { money } from '../money.js';
import * as operators from '../operators/operator.service.js';
import type { PaymentTable } from '../payments/payment.tables.js';
import { terminalReinitialized } from '../terminals/terminal.errors.js';
import * as terminals from '../terminals/terminal.service.js';
import { luhnValid, normalisePan, summarise } from './card.js';
import * as journal from './journal.service.js';
import * as errors from './payment.errors.js';
import { type LockedPayment, type Payment, type PaymentStatus, refundableAmount } from './payment.js';
import * as repo from './payment.repository.js';
import { authorise } from './processor.js';

export function paymentRowToPayment(r: PaymentTable): Payment {
  const voidedAmount = r.status === 'voided' ? r.captured_amount : 0;
  const sums = {
    capturedAmount: r.captured_amount,
    voidedAmount,
    refundedAmount: r.refunded_amount,
    pendingRefundAmount: r.reserved_amount,
  };
  return {
    id: r.id,
    status: r.status as PaymentStatus,
    amount: r.amount,
    currency: r.currency,
    reference: r.reference,
    card: { bin: r.card_bin, last4: r.card_last4, brand: r.card_brand as Payment['card']['brand'] },
    terminalId: r.terminal_id,
    merchantId: r.merchant_id,
    batchId: r.batch_id,
    operatorId: r.operator_id,
    authCode: r.auth_code,
    declineCode: r.decline_code,
    failureReason: r.failure_reason,
    ...sums,
    refundableAmount: refundableAmount(sums),
    voidedAt: r.voided_at,
    flagged: r.flagged === 1,
    createdAt: r.created_at,
  };
}

function newReference(): string {
  return String(randomInt(100_000, 1_000_000)) + String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export interface SaleInput {
  amount: number;
  currency?: string;
  card: { number: string };
  terminalId?: string;
}

/**
 * Inserts a payment under a receipt reference no other payment has, and returns the reference.
 * Two random 12-digit references clash once in 10^12 pairs; a clash draws again.
 */
export async function insertWithFreshReference(
  trx: Tx,
  row: PaymentTable,
  draw: () => string = newReference,
): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const reference = draw();
    if (await repo.insertPayment(trx, { ...row, reference })) return reference;
  }
  throw new Error('no free receipt reference after 5 draws');
}

/**
 * Runs a sale through the simulated processor and records it with only BIN + last 4 of the card.
 * A declined sale is recorded too (status `declined`), as a terminal prints a declined slip.
 * @throws invalid_card_number, terminal_required, not_found (terminal), currency_mismatch
 */
export async function createPayment(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  input: SaleInput,
  idempotency?: IdempotencyRequest,
): Promise<Idempotent<Payment>> {
  const terminalId = actor.kind === 'operator' ? actor.terminalId : input.terminalId;
  if (!terminalId) throw errors.terminalRequired();
  const terminal = await terminals.findTerminal(db.kysely, terminalId);
  if (!terminal || !canActOnTerminal(actor, { ...terminal, terminalId: terminal.id })) throw notFound('terminal');
  const merchant = await merchants.findMerchant(db.kysely, terminal.merchantId);
  if (!merchant) throw notFound('merchant');
  const currency = input.currency ?? merchant.currency;
  if (currency !== merchant.currency) {
    throw errors.saleCurrencyMismatch(merchant.currency);
  }
  money(input.amount, currency);
  const pan = normalisePan(input.card.number);
  if (!luhnValid(pan)) throw errors.invalidCardNumber();
  const card = summarise(pan);

  return idempotentTransaction(db, ctx, idempotency, async (trx) => {
    // A re-initialisation of this terminal either waits for this sale (and then sees it in the open
    // batch) or went first, and then this operator no longer exists: never a sale it wiped past.
    await terminals.lockTerminal(trx, terminal.id, 'share');
    if (actor.kind === 'operator' && !(await operators.operatorExists(trx, actor.id))) throw terminalReinitialized();
    await failpoint('sale:terminal-held');
    // The processor is asked inside the transaction so a replayed key never charges twice.
    const outcome = authorise(pan);
    const at = ctx.clock.now().toISOString();
    const row: PaymentTable = {
      id: newId('pay'),
      merchant_id: terminal.merchantId,
      terminal_id: terminal.id,
      batch_id: await journal.openBatch(trx, terminal.id, terminal.merchantId, at),
      operator_id: actor.kind === 'operator' ? actor.id : null,
      reference: '',
      amount: input.amount,
      currency,
      captured_amount: outcome.kind === 'declined' ? 0 : input.amount,
      status: outcome.kind === 'approved' ? 'approved' : outcome.kind === 'declined' ? 'declined' : 'failed',
      card_bin: card.bin,
      card_last4: card.last4,
      card_brand: card.brand,
      auth_code: outcome.kind === 'approved' ? outcome.authCode : null,
      decline_code: outcome.kind === 'declined' ? outcome.declineCode : null,
      failure_reason: outcome.kind === 'failed_after_capture' ? outcome.failureReason : null,
      voided_at: null,
      flagged: 0,
      created_at: at,
      refunded_amount: 0,
      reserved_amount: 0,
    };
    row.reference = await insertWithFreshReference(trx, row);
    await journal.recordEntry(trx, {
      kind: 'sale',
      terminalId: row.terminal_id,
      merchantId: row.merchant_id,
      batchId: row.batch_id,
      paymentId: row.id,
      operatorId: row.operator_id,
      amount: row.amount,
      currency: row.currency,
      at,
    });
    await recordAudit(trx, ctx, {
      merchantId: row.merchant_id,
      actor: auditActorOf(actor),
      action: 'payment.created',
      outcome: row.status === 'declined' ? 'failure' : 'success',
      objectType: 'payment',
      objectId: row.id,
      terminalId: row.terminal_id,
      details: { status: row.status, amount: row.amount, currency: row.currency, declineReason: row.decline_code },
    });
    return paymentRowToPayment(row);
  });
}

/** @throws not_found when absent or not the actor's to see */
export async function getPayment(conn: Conn, actor: Actor, id: string): Promise<Payment> {
  const row = await repo.findPaymentRow(conn, id);
  if (!row) throw notFound('payment');
  const merchant = await merchants.findMerchant(conn, row.merchant_id);
  const visible =
    merchant &&
    canSeeMerchant(actor, { merchantId: row.merchant_id, acquirerId: merchant.acquirerId }) &&
    (actor.kind !== 'operator' || actor.terminalId === row.terminal_id || actor.role === 'supervisor');
  if (!visible) throw notFound('payment');
  return paymentRowToPayment(row);
}

export async function findPaymentByReference(conn: Conn, reference: string): Promise<Payment | undefined> {
  const row = await repo.findPaymentRowByReference(conn, reference);
  return row ? paymentRowToPayment(row) : undefined;
}

export interface PaymentFilter {
  reference?: string;
  /** 批次号 */
  batch?: number;
  /** 凭证号 */
  voucher?: number;
}

/**
 * The payments the actor may see, newest first, a page at a time, optionally by 参考号, batch no.
 * or 凭证号. A terminal's operator (cashier or supervisor) sees only its own terminal's payments:
 * another terminal's reference is not found there.
 */
export async function listPayments(
  conn: Conn,
  actor: Actor,
  page: { limit: number; cursor?: string } & PaymentFilter,
): Promise<Page<Payment>> {
  const scope = actor.kind === 'operator' ? { terminalId: actor.terminalId ?? '-' } : merchantListScope(actor);
  if (!scope) return { data: [], nextCursor: null };
  const rows = await repo.listPaymentRows(conn, {
    ...scope,
    reference: page.reference,
    batchNo: page.batch,
    voucherNo: page.voucher,
    before: page.cursor,
    limit: page.limit + 1,
  });
  return pageOf(rows, page.limit, (r) => paymentRowToPayment(r));
}

/**
 * The payment lock: every change to what is reserved or refunded against a payment — a refund
 * created, decided, canceled, sent, failed, retried, released or ordered by a ruling, and a void —
 * takes it first, in the transaction that makes the change (docs/architecture.md lists each path).
 * Reads made after it are current: every other writer of this payment's refunds waits here.
 * Returns the payment with its refund totals, or undefined when there is no such payment.
 */
export async function lockPayment(trx: Tx, id: string): Promise<LockedPayment | undefined> {
  const row = await repo.lockPaymentRow(trx, id);
  await failpoint('payment:locked');
  return row ? (paymentRowToPayment(row) as LockedPayment) : undefined;
}

/**
 * Moves a refund's amount between the payment's sums as the refund changes state (reserved on
 * request, refunded on success, released on rejection, cancel or final failure): the only writer
 * of `reserved_amount` and `refunded_amount`, inside the refund's transaction, under the payment
 * lock the refund proves (`LockedRefundRow`). A move that would break invariant 1 is a bug: it
 * throws, and the transaction rolls back.
 */
export async function moveRefundAmounts(
  trx: Tx,
  paymentId: string,
  delta: { reserved: number; refunded: number },
): Promise<void> {
  if (delta.reserved === 0 && delta.refunded === 0) return;
  if (isPlanted('forget_release') && delta.reserved < 0 && delta.refunded === 0) return;
  if (!(await repo.moveRefundAmounts(trx, paymentId, delta))) {
    throw new Error(`payment ${paymentId}: refund sums would break invariant 1 (${JSON.stringify(delta)})`);
  }
}

/**
 * The payment a customer proves with what is on the receipt: its 12-digit reference and the card's
 * last 4 (compared in constant time). Undefined when either is wrong: one answer for both.
 */
export async function proveCustomerPayment(
  conn: Conn,
  reference: string,
  cardLast4: string,
): Promise<Payment | undefined> {
  const found = await findPaymentByReference(conn, reference);
  return found && constantTimeEqual(found.card.last4, cardLast4) ? found : undefined;
}

/**
 * Same-batch void (撤销): cancels a sale before settlement, as if it never happened. Needs the
 * refund password (checked before the transaction, re-checked inside it) and no refund on the payment.
 * A replay of its Idempotency-Key answers the first response without the password.
 * @throws not_found, payment_not_voidable, refund_password_required, refund_password_invalid,
 *   refund_password_expired, refund_password_unset, refund_password_changed, locked
 */
export async function voidPayment(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  id: string,
  refundPassword: string | undefined,
  idempotency?: IdempotencyRequest,
): Promise<Idempotent<Payment>> {
  const visible = await getPayment(db.kysely, actor, id);
  // A replay moves no money: it answers before the password is consulted (and counts no attempt).
  const seen = await findReplay<Payment>(db.kysely, ctx, idempotency);
  if (seen) return seen;
  const stamp =
    actor.kind === 'api_key'
      ? undefined
      : await refundPasswords.verifyRefundPassword(db, ctx, actor, visible.merchantId, refundPassword, 'void');
  return idempotentTransaction(db, ctx, idempotency, async (trx) => {
    const p = await lockPayment(trx, id);
    if (!p) throw notFound('payment');
    await refundPasswords.assertRefundPasswordUnchanged(trx, p.merchantId, stamp);
    if (p.status !== 'approved') throw errors.paymentNotVoidable(`a ${p.status} payment cannot be voided`);
    const batch = await repo.findBatchRow(trx, p.batchId, 'share');
    if (batch?.status !== 'open') throw errors.paymentNotVoidable('the batch is settled: refund it instead');
    if (p.refundedAmount + p.pendingRefundAmount > 0) throw errors.paymentNotVoidable('the payment has refunds');
    const at = ctx.clock.now().toISOString();
    if (!(await repo.markVoided(trx, id, at))) throw errors.paymentNotVoidable('the payment changed meanwhile');
    await journal.recordEntry(trx, {
      kind: 'void',
      terminalId: p.terminalId,
      merchantId: p.merchantId,
      batchId: p.batchId,
      paymentId: p.id,
      operatorId: actor.kind === 'operator' ? actor.id : null,
      amount: p.amount,
      currency: p.currency,
      at,
    });
    await recordAudit(trx, ctx, {
      merchantId: p.merchantId,
      actor: auditActorOf(actor),
      action: 'payment.voided',
      outcome: 'success',
      objectType: 'payment',
      objectId: p.id,
      terminalId: p.terminalId,
      details: { amount: p.amount, currency: p.currency },
    });
    return (await lockPayment(trx, id)) as Payment;
  });
}

/** Unscoped, for other services acting on a payment they already reached through their own object. */
export async function findPaymentById(conn: Conn, id: string): Promise<Payment | undefined> {
  const row = await repo.findPaymentRow(conn, id);
  return row ? paymentRowToPayment(row) : undefined;
}

/** Who may flag a payment for risk: the acquirer's reviewers (and the platform admin). */
export const FLAG_ROLES: readonly Role[] = ['acquirer_reviewer', 'platform_admin'];

/**
 * The acquirer marks a payment as suspicious (or clears it): while flagged, every refund of it
 * waits for a reviewer instead of being approved by rules. Audited with the reason.
 * @throws forbidden, not_found
 */
export async function flagPayment(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  id: string,
  input: { flagged: boolean; reason: string },
): Promise<Payment> {
  assertRole(actor, FLAG_ROLES);
  const visible = await getPayment(db.kysely, actor, id);
  return transaction(db, async (trx) => {
    await repo.setFlagged(trx, id, input.flagged);
    await recordAudit(trx, ctx, {
      merchantId: visible.merchantId,
      actor: auditActorOf(actor),
      action: input.flagged ? 'payment.flagged' : 'payment.unflagged',
      outcome: 'success',
      objectType: 'payment',
      objectId: id,
      details: { reason: input.reason },
    });
    return (await lockPayment(trx, id)) as Payment;
  });
}
