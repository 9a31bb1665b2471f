import type { AppContext } from '../context.js';
import { randomToken } from '../credentials/hashing.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Db } from '../db/connect.js';
import { failpoint } from '../db/failpoints.js';
import { isUniqueViolation, type Tx, transaction } from '../db/transaction.js';
import type { DisputeTable } from '../disputes/dispute.tables.js';
import { newId } from '../ids.js';
import type { NotificationLanguage } from '../notifications/notification.js';
import { type Payment, refundableLeft } from '../payments/payment.js';
import * as payments from '../payments/payment.service.js';
import { hitRateLimit } from '../ratelimit/rate-limit.js';
import * as customers from '../refunds/customer-request.service.js';
import type { RefundReason, RefundStatus } from '../refunds/refund.js';
import * as refunds from '../refunds/refund.service.js';
import * as errors from './dispute.errors.js';
import { type DisputeStatus, disputePage, redactPans, refundDisputable } from './dispute.js';
import * as repo from './dispute.repository.js';
import { CUSTOMER } from './dispute-access.js';
import { OPENING_STATUS, openingStep } from './dispute-step.js';

const MINUTE = 60_000;

export interface Contact {
  email?: string;
  phone?: string;
}

export interface OpenRefundDispute {
  refundId: string;
  trackingSecret: string;
  description: string;
  contact?: Contact;
  language?: NotificationLanguage;
}

export interface OpenPaymentDispute {
  paymentReference: string;
  cardLast4: string;
  description: string;
  contact: Contact;
  reason?: RefundReason;
  language?: NotificationLanguage;
}

export interface Opened {
  id: string;
  status: DisputeStatus;
  /** Payment disputes only: the customer's proof from now on. Shown once, stored as SHA-256. */
  accessSecret: string | null;
  /** Payment disputes only: the customer's page of it, the access secret in the link's fragment. */
  disputeUrl: string | null;
}

/**
 * Opens a dispute on a refund that went wrong (rejected, failed, or still pending past the
 * merchant's deadline), proven by its tracking secret.
 * @throws not_found (unknown refund or wrong secret, alike), dispute_not_allowed,
 *   dispute_already_open, rate_limited
 */
export async function openRefundDispute(
  db: Db,
  ctx: AppContext,
  ip: string,
  input: OpenRefundDispute,
): Promise<Opened> {
  await hitRateLimit(db, ctx, `dispute-open:ip:${ip}`, 30, 10 * MINUTE);
  const refund = await customers.findRefundForCustomer(db.kysely, input.refundId, input.trackingSecret);
  if (!refund) throw errors.refundNotFound();
  assertRefundDisputable(refund, ctx.clock.now());
  const id = await open(db, ctx, {
    // Judged again on the refund read under its payment's lock: it may have moved on meanwhile.
    recheck: async (tx) => {
      const locked = await refunds.lockRefund(tx, refund.id);
      if (!locked) throw errors.refundNotFound();
      const { status, merchant_deadline_at } = locked.refund;
      assertRefundDisputable(
        { status: status as RefundStatus, merchantDeadlineAt: merchant_deadline_at },
        ctx.clock.now(),
      );
    },
    ip,
    merchantId: refund.merchantId,
    paymentId: refund.paymentId,
    refundId: refund.id,
    reason: refund.reason,
    description: input.description,
    contact: {
      email: input.contact?.email ?? refund.customer?.email ?? null,
      phone: input.contact?.phone ?? refund.customer?.phone ?? null,
    },
    language: input.language ?? 'zh-CN',
    accessSecret: null,
    note: `opened on refund ${refund.id} (${refund.status})`,
  });
  return { id, status: OPENING_STATUS, accessSecret: null, disputeUrl: null };
}

/**
 * Opens a dispute on a payment the customer has no refund for, proven by the receipt reference and
 * the card's last 4 digits (one answer for every wrong pair, rate-limited like refund requests).
 * @throws payment_not_matched, dispute_not_allowed, dispute_already_open, rate_limited
 */
export async function openPaymentDispute(
  db: Db,
  ctx: AppContext,
  ip: string,
  input: OpenPaymentDispute,
): Promise<Opened> {
  await hitRateLimit(db, ctx, `dispute-open:ip:${ip}`, 30, 10 * MINUTE);
  await hitRateLimit(db, ctx, `dispute-open:ref:${input.paymentReference}`, 10, 60 * MINUTE);
  const payment = await payments.proveCustomerPayment(db.kysely, input.paymentReference, input.cardLast4);
  if (!payment) throw errors.paymentNotMatched();
  assertPaymentDisputable(payment);
  const accessSecret = randomToken('rdx_', 32);
  const language = input.language ?? 'zh-CN';
  const id = await open(db, ctx, {
    // Judged again under the payment's lock: a void or a refund may have taken what was left.
    recheck: async (tx) => {
      const locked = await payments.lockPayment(tx, payment.id);
      if (!locked) throw errors.paymentNotMatched();
      assertPaymentDisputable(locked);
    },
    ip,
    merchantId: payment.merchantId,
    paymentId: payment.id,
    refundId: null,
    reason: input.reason ?? 'other',
    description: input.description,
    contact: { email: input.contact.email ?? null, phone: input.contact.phone ?? null },
    language,
    accessSecret,
    note: `opened on payment ${payment.id}`,
  });
  const disputeUrl = disputePage(ctx.config.publicBaseUrl, id, language, accessSecret);
  return { id, status: OPENING_STATUS, accessSecret, disputeUrl };
}

/** @throws dispute_not_allowed */
function assertRefundDisputable(refund: Parameters<typeof refundDisputable>[0], now: Date): void {
  const ok = refundDisputable(refund, now);
  if (!ok.ok) throw errors.notAllowed(ok.why);
}

/** A payment is disputed while something of it can still be refunded. @throws dispute_not_allowed */
function assertPaymentDisputable(payment: Payment): void {
  const left = refundableLeft(payment);
  if (!left.takesRefunds) throw errors.notAllowed(`a ${payment.status} payment took no money to dispute`);
  if (left.amount <= 0) throw errors.notAllowed('nothing of this payment is left to refund');
}

interface Opening {
  /** The checks made before the transaction, made again in it on the locked row. */
  recheck: (tx: Tx) => Promise<void>;
  /** Where the customer asked from, for the audit event. */
  ip: string;
  merchantId: string;
  paymentId: string;
  refundId: string | null;
  reason: RefundReason;
  description: string;
  contact: { email: string | null; phone: string | null };
  language: NotificationLanguage;
  /** A payment dispute's secret: its SHA-256 is stored, the customer's notification carries it. */
  accessSecret: string | null;
  note: string;
}

/** The opening step: one dispute that is not closed per payment, checked in its transaction. */
async function open(db: Db, ctx: AppContext, o: Opening): Promise<string> {
  await failpoint('dispute-open:checked');
  try {
    const id = await transaction(db, async (tx) => {
      await o.recheck(tx);
      if (await repo.findOpenDisputeOfPayment(tx, o.paymentId)) throw errors.alreadyOpen();
      const row = newDisputeRow(o, ctx.clock.now().toISOString());
      await openingStep(
        tx,
        ctx,
        row,
        { ...CUSTOMER, ip: o.ip },
        {
          kind: 'transition',
          note: o.note,
          action: 'dispute.opened',
          notify: {
            customer: 'dispute_opened_customer',
            customerData: {
              disputeId: row.id,
              accessSecret: o.accessSecret,
              // The link's secret is the template secret `accessSecret`: stored copies show `******`.
              disputeLink: o.accessSecret ? `${disputePage(ctx.config.publicBaseUrl, row.id, o.language)}#` : null,
            },
            merchant: 'dispute_opened_merchant',
          },
          webhook: 'dispute.opened',
        },
      );
      return row.id;
    });
    return id;
  } catch (e) {
    // Two customers racing to open one: the partial unique index lets one through.
    if (isUniqueViolation(e)) throw errors.alreadyOpen();
    throw e;
  }
}

function newDisputeRow(o: Opening, at: string): DisputeTable {
  return {
    id: newId('dp'),
    merchant_id: o.merchantId,
    payment_id: o.paymentId,
    refund_id: o.refundId,
    status: OPENING_STATUS,
    outcome: null,
    reason: o.reason,
    description: redactPans(o.description),
    customer_email: o.contact.email,
    customer_phone: o.contact.phone,
    customer_language: o.language,
    access_secret_hash: o.accessSecret ? sha256Hex(o.accessSecret) : null,
    escalated_at: null,
    escalation_reason: null,
    mediation_due_at: null,
    ruling_outcome: null,
    ruling: null,
    ruled_by: null,
    ruled_at: null,
    ruling_amount: null,
    forced_refund_id: null,
    force_claimed_until: null,
    referred_at: null,
    closed_at: null,
    rating: null,
    rating_comment: null,
    rated_at: null,
    created_at: at,
    updated_at: at,
  };
}
