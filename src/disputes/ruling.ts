import { type Actor, auditActorOf } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import type { Tx } from '../db/transaction.js';
import type { DisputeTable } from '../disputes/dispute.tables.js';
import { notFound } from '../errors.js';
import { type IdempotencyRequest, type Idempotent, idempotentTransaction } from '../idempotency/idempotency.service.js';
import * as payments from '../payments/payment.service.js';
import type { Refund, RefundReason } from '../refunds/refund.js';
import * as refunds from '../refunds/refund.service.js';
import * as errors from './dispute.errors.js';
import { type Dispute, type DisputeStatus, type RulingOutcome, redactPans } from './dispute.js';
import * as repo from './dispute.repository.js';
import { reach } from './dispute-access.js';
import { step } from './dispute-step.js';
import { loadDispute } from './dispute-view.js';
import { recordOrderedRefund } from './ordered-refund.js';

export interface RulingInput {
  outcome: RulingOutcome;
  ruling: string;
  /** For the customer: how much to refund (default: the disputed refund, or all that is refundable). */
  amount?: number;
}

/** A ruling: the dispute as it now stands, and the refund a ruling for the customer ordered. */
export interface Ruled {
  dispute: Dispute;
  refund: Refund | null;
}

/**
 * The acquirer's ruling on an escalated dispute, by a reviewer of that merchant's acquirer. For the
 * customer it orders a refund, bounded by what is still refundable, straight to processing, in the
 * ruling's own transaction: both commit, or neither. An `Idempotency-Key` replays the ruling (and
 * returns the refund it ordered) instead of a 409.
 * @throws not_found, forbidden, invalid_transition, refund_exceeds_refundable (nothing is left),
 *   idempotency_conflict
 */
export async function decide(
  db: Db,
  ctx: AppContext,
  caller: Actor,
  id: string,
  input: RulingInput,
  idempotency?: IdempotencyRequest,
): Promise<Idempotent<Ruled>> {
  const { row, party, actor } = await reach(db, ctx, { kind: 'staff', actor: caller }, id);
  if (party !== 'acquirer') throw errors.notYourPart('only a reviewer of the merchant’s acquirer rules on a dispute');
  const ruling = redactPans(input.ruling);
  // Everything the ruling depends on is read in its transaction, after a replay of the same
  // Idempotency-Key has had its chance to answer: the dispute locked, then the payment's lock.
  const { value, replayed } = await idempotentTransaction(db, ctx, idempotency, async (tx) => {
    const current = await repo.lockDisputeRow(tx, id);
    if (current?.status !== 'escalated') {
      throw errors.invalidTransition((current?.status ?? row.status) as DisputeStatus, `ruled ${input.outcome}`);
    }
    const { amount, currency } =
      input.outcome === 'resolved_for_customer' ? await amountToRefund(tx, current, input.amount) : NO_REFUND;
    await step(tx, ctx, current, actor, {
      kind: 'transition',
      to: input.outcome,
      note: ruling,
      set: {
        ruling_outcome: input.outcome,
        ruling,
        ruled_by: caller.id,
        ruled_at: ctx.clock.now().toISOString(),
        ruling_amount: amount,
      },
      action: 'dispute.ruled',
      details: { outcome: input.outcome, amount, currency },
      notify: {
        customer: 'dispute_resolved',
        merchant: 'dispute_resolved',
        data: { outcome: input.outcome, ruling, amount, currency },
      },
      webhook: 'dispute.resolved',
    });
    if (input.outcome !== 'resolved_for_customer') return { disputeId: id, refundId: null };
    // The refund it orders commits with the ruling: no window in which the ruling stands without it.
    const refund = await refunds.forceRefundForDisputeIn(tx, ctx, {
      paymentId: current.payment_id,
      amount: amount ?? 0,
      reason: current.reason as RefundReason,
      disputeId: id,
      actor: auditActorOf(caller),
      supersedes: current.refund_id,
    });
    await recordOrderedRefund(tx, ctx, id, actor, refund);
    return { disputeId: id, refundId: refund.id };
  });
  // A replay answers with the refund the first ruling ordered (stored with the key), as it is now.
  const refund = value.refundId ? ((await refunds.findRefundById(db.kysely, value.refundId)) ?? null) : null;
  return { value: { dispute: await loadDispute(db.kysely, ctx, id), refund }, replayed };
}

const NO_REFUND = { amount: null, currency: null };

/**
 * What a ruling for the customer refunds: the amount asked (default: the disputed refund, else all
 * that is refundable), bounded by what is refundable now. A disputed refund that failed but still
 * holds its amount is released by the ruling's refund, so its amount counts as refundable.
 * @throws not_found (payment), refund_exceeds_refundable (nothing is left)
 */
async function amountToRefund(
  tx: Tx,
  d: DisputeTable,
  asked: number | undefined,
): Promise<{ amount: number; currency: string }> {
  const payment = await payments.lockPayment(tx, d.payment_id);
  if (!payment) throw notFound('payment');
  const disputed = d.refund_id ? (await refunds.lockRefund(tx, d.refund_id))?.refund : undefined;
  const held = disputed?.status === 'failed' && !disputed.failure_final ? disputed.amount : 0;
  const refundable = payment.refundableAmount + held;
  if (refundable <= 0) throw errors.nothingToRefund(payment.currency);
  return { amount: Math.min(asked ?? disputed?.amount ?? refundable, refundable), currency: payment.currency };
}
