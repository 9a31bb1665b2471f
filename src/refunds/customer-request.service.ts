import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { constantTimeEqual } from '../credentials/hashing.js';
import { keyedHash } from '../crypto/keyed-hash.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Db } from '../db/connect.js';
import { type Conn, transaction } from '../db/transaction.js';
import { refundDisputable } from '../disputes/dispute.js';
import { notFound } from '../errors.js';
import {
  findReplay,
  type IdempotencyRequest,
  type Idempotent,
  idempotentTransaction,
} from '../idempotency/idempotency.service.js';
import { enqueueJob } from '../jobs/job.service.js';
import { normaliseContact } from '../notifications/contact.js';
import { paymentNotMatched } from '../payments/payment.errors.js';
import * as payments from '../payments/payment.service.js';
import { hitRateLimit } from '../ratelimit/rate-limit.js';
import * as errors from './refund.errors.js';
import {
  JOB_ACQUIRER_REVIEW,
  JOB_MERCHANT_DEADLINE,
  type Refund,
  type RefundReason,
  type RefundStatus,
} from './refund.js';
import { notifyRequestReceived } from './refund.notifications.js';
import * as repo from './refund.repository.js';
import { getLockedRefund, reserveRefund } from './refund.service.js';
import { toRefund, transition } from './refund.transitions.js';
import { policyViolation } from './refund-policy.js';
import { getRefundPolicy } from './refund-policy.service.js';
import { customerLanguage, type Lang, type PublicRefundView, publicView, trackingLink } from './refund-tracking.js';

const CUSTOMER = { kind: 'customer', id: null } as const;
const MERCHANT_RULES = { kind: 'system', id: 'merchant_policy' } as const;

export interface CustomerRequestInput {
  paymentReference: string;
  cardLast4: string;
  amount: number;
  reason: RefundReason;
  description: string;
  contact: { email?: string; phone?: string };
  language?: Lang;
}

/**
 * 申请退款: a customer asks for a refund with what is on the receipt (12-digit reference, card
 * last 4). A wrong pair gets one generic answer, and attempts are rate-limited per IP and per
 * reference so payments cannot be probed. The amount is reserved at once (invariant 1); the
 * merchant has `merchantReviewHours` to answer. An Idempotency-Key (scoped to the reference) makes a
 * retry give back the first answer, tracking secret included, instead of reserving twice.
 * @throws rate_limited, payment_not_matched, refund_window_expired, partial_refund_not_allowed,
 *   refund_reason_not_accepted, refund_exceeds_refundable, payment_not_refundable, idempotency_conflict
 */
export async function requestRefund(
  db: Db,
  ctx: AppContext,
  ip: string,
  input: CustomerRequestInput,
  idempotency?: IdempotencyRequest,
): Promise<Idempotent<{ id: string; trackingSecret: string; trackingUrl: string; status: RefundStatus }>> {
  await hitRateLimit(db, ctx, `refund-request:ip:${ip}`, 30, 10 * 60_000);
  await hitRateLimit(db, ctx, `refund-request:ref:${input.paymentReference}`, 10, 60 * 60_000);
  const found = await payments.proveCustomerPayment(db.kysely, input.paymentReference, input.cardLast4);
  if (!found) throw paymentNotMatched();
  // A retry of an answered request gets that answer back, even if the policy (its window, what is
  // left to refund) would refuse the request now (found by the money checker's replays).
  const language = input.language ?? 'zh-CN';
  const link = (id: string, secret: string) => trackingLink(ctx.config.publicBaseUrl, id, secret, language);
  const seen = await findReplay<{ id: string; status: RefundStatus }>(db.kysely, ctx, idempotency);
  if (seen && idempotency) {
    const trackingSecret = derivedTrackingSecret(ctx, idempotency);
    return {
      value: { ...seen.value, trackingSecret, trackingUrl: link(seen.value.id, trackingSecret) },
      replayed: true,
    };
  }
  const policy = await getRefundPolicy(db.kysely, found.merchantId);
  const broken = policyViolation(policy, input, found, ctx.clock.now());
  if (broken) throw errors.policyRuleBroken(broken);

  const trackingSecret = idempotency ? derivedTrackingSecret(ctx, idempotency) : randomBytes(18).toString('base64url');
  const now = ctx.clock.now();
  const deadline = new Date(now.getTime() + policy.merchantReviewHours * 3_600_000);
  const { value, replayed } = await idempotentTransaction(db, ctx, idempotency, async (trx) => {
    const payment = await payments.lockPayment(trx, found.id);
    if (!payment) throw paymentNotMatched();
    const row = await reserveRefund(
      trx,
      ctx,
      {
        payment,
        amount: input.amount,
        reason: input.reason,
        channel: 'customer',
        status: 'pending_merchant',
        extra: {
          description: input.description,
          customer_email: input.contact.email ?? null,
          customer_phone: input.contact.phone ?? null,
          customer_language: language,
          tracking_secret_hash: sha256Hex(trackingSecret),
          merchant_deadline_at: deadline.toISOString(),
        },
      },
      { ...CUSTOMER, ip },
      'refund requested by the customer',
    );
    await notifyRequestReceived(trx, ctx, row, trackingSecret);
    if (input.amount <= policy.merchantAutoApproveUpTo) {
      await transition(
        trx,
        ctx,
        row,
        'pending_acquirer',
        MERCHANT_RULES,
        'approved by the merchant’s policy (small amount)',
      );
      await enqueueJob(trx, ctx, JOB_ACQUIRER_REVIEW, { refundId: row.id });
      return { id: row.id, status: 'pending_acquirer' as RefundStatus };
    }
    await enqueueJob(trx, ctx, JOB_MERCHANT_DEADLINE, { refundId: row.id }, deadline);
    return { id: row.id, status: 'pending_merchant' as RefundStatus };
  });
  return { value: { ...value, trackingSecret, trackingUrl: link(value.id, trackingSecret) }, replayed };
}

/**
 * With an Idempotency-Key the tracking secret is derived from the key (HMAC under the server's
 * secret key), so that a replay can give the customer the same secret again without it ever being
 * stored: only its hash is, on the refund.
 */
function derivedTrackingSecret(ctx: AppContext, idempotency: IdempotencyRequest): string {
  return keyedHash(ctx.config, 'tracking-secrets', `${idempotency.scope}\n${idempotency.key}`)
    .subarray(0, 18)
    .toString('base64url');
}

export type CustomerProof = { secret: string } | { contact: string };

/**
 * The refund if the proof fits it: its tracking secret, or the e-mail / phone the customer gave.
 * Unknown id and wrong proof are indistinguishable (both undefined, same work).
 */
async function rowForCustomer(conn: Conn, id: string, proof: CustomerProof) {
  const row = await repo.findRefundRow(conn, id);
  if ('secret' in proof) {
    const ok = constantTimeEqual(row?.tracking_secret_hash ?? '0'.repeat(64), sha256Hex(proof.secret));
    return ok && row?.tracking_secret_hash ? row : undefined;
  }
  const given = normaliseContact(proof.contact);
  const known = [row?.customer_email, row?.customer_phone].filter(Boolean).map((c) => normaliseContact(c as string));
  return given.length >= 6 && known.some((k) => constantTimeEqual(k, given)) ? row : undefined;
}

/** For disputes: the refund when the tracking secret is right, else undefined. */
export async function findRefundForCustomer(
  conn: Conn,
  id: string,
  trackingSecret: string,
): Promise<Refund | undefined> {
  const row = await rowForCustomer(conn, id, { secret: trackingSecret });
  return row ? toRefund(conn, row) : undefined;
}

/**
 * 查询退款进度, worded in `lang`, or else in the language the customer chose in the request.
 * @throws not_found (unknown id or wrong proof, alike), rate_limited
 */
export async function trackRefund(
  db: Db,
  ctx: AppContext,
  ip: string,
  id: string,
  proof: CustomerProof,
  lang: Lang | undefined,
): Promise<PublicRefundView> {
  await hitRateLimit(db, ctx, `refund-track:ip:${ip}`, 120, 10 * 60_000);
  const row = await rowForCustomer(db.kysely, id, proof);
  if (!row) throw notFound('refund');
  const refund = await toRefund(db.kysely, row);
  const dispute = {
    id: (await repo.findDisputeIdOfRefund(db.kysely, id)) ?? null,
    allowed: refundDisputable(refund, ctx.clock.now()).ok,
  };
  return publicView(refund, lang ?? customerLanguage(row.customer_language), dispute);
}

/** The customer withdraws a request the merchant has not answered yet. @throws not_found, invalid_transition */
export async function cancelByCustomer(db: Db, ctx: AppContext, ip: string, id: string, secret: string, lang?: Lang) {
  await hitRateLimit(db, ctx, `refund-track:ip:${ip}`, 120, 10 * 60_000);
  const row = await rowForCustomer(db.kysely, id, { secret });
  if (!row) throw notFound('refund');
  return transaction(db, async (trx) => {
    const current = await getLockedRefund(trx, id);
    // The customer may withdraw only what the merchant has not yet decided (DESIGN: refund states).
    if (current.status !== 'pending_merchant')
      throw errors.invalidTransition(current.status as RefundStatus, 'canceled');
    const moved = await transition(trx, ctx, current, 'canceled', { ...CUSTOMER, ip }, 'withdrawn by the customer');
    return publicView(await toRefund(trx, moved), lang ?? customerLanguage(moved.customer_language));
  });
}
