import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { type Tx, transaction } from '../db/transaction.js';
import { AppError } from '../errors.js';
import type { Refund, RefundReason } from '../refunds/refund.js';
import * as refunds from '../refunds/refund.service.js';
import type { DisputeActor } from './dispute.js';
import * as repo from './dispute.repository.js';
import { SYSTEM } from './dispute-access.js';
import { step } from './dispute-step.js';

/**
 * The safety net of a ruling for the customer, from before a ruling made its refund in its own
 * transaction: a job queued then still orders the refund if the ruling's request did not.
 */
export const JOB_FORCE_REFUND = 'dispute.force_refund';

const MINUTE = 60_000;

/**
 * Creates the refund a ruling for the customer ordered, once (rulings queued this job before they
 * made their refund themselves). A lease on the dispute row keeps two workers from both creating
 * it; a refund already carrying this dispute's id (created before a crash could record it here) is
 * adopted instead of made again. The refund is made in its own transaction (refunds' payment lock),
 * so this takes the database, not a `Tx`.
 */
async function orderRefund(db: Db, ctx: AppContext, id: string): Promise<Refund | undefined> {
  const row = await repo.findDisputeRow(db.kysely, id);
  if (row?.ruling_outcome !== 'resolved_for_customer') return undefined;
  if (row.forced_refund_id) return refunds.findRefundById(db.kysely, row.forced_refund_id);
  const existing = (await refunds.listRefundsOfPayment(db.kysely, row.payment_id)).find((r) => r.disputeId === id);
  const now = ctx.clock.now();
  if (!existing) {
    const claimed = await transaction(db, (tx) =>
      repo.claimForcedRefund(tx, id, now.toISOString(), new Date(now.getTime() + 5 * MINUTE).toISOString()),
    );
    if (!claimed) throw beingMade(id); // another worker took the lease meanwhile: the job is retried
  }
  const actor = { kind: 'user' as const, id: row.ruled_by };
  let refund: Refund;
  try {
    refund =
      existing ??
      (await refunds.forceRefundForDispute(db, ctx, {
        paymentId: row.payment_id,
        amount: row.ruling_amount ?? 0,
        reason: row.reason as RefundReason,
        disputeId: id,
        actor,
        supersedes: row.refund_id,
      }));
  } catch (e) {
    await repo.releaseForceClaim(db.kysely, id);
    if (!(e instanceof AppError)) throw e;
    // Nothing left to refund (someone refunded meanwhile): recorded, not retried for ever.
    await transaction(db, async (tx) => {
      const current = (await repo.findDisputeRow(tx, id)) ?? row;
      await step(tx, ctx, current, SYSTEM, {
        kind: 'refund_order_failed',
        note: `the ordered refund could not be made: ${e.code}`,
        action: 'dispute.refund_order_failed',
        details: { failure: e.code },
      });
    });
    return undefined;
  }
  await transaction(db, (tx) => recordOrderedRefund(tx, ctx, id, actor, refund));
  return refund;
}

/** Links the refund a ruling ordered to its dispute, with a `refund_ordered` step (once). */
export async function recordOrderedRefund(
  tx: Tx,
  ctx: AppContext,
  id: string,
  actor: DisputeActor,
  refund: Refund,
): Promise<void> {
  if (!(await repo.setForcedRefund(tx, id, refund.id, ctx.clock.now().toISOString()))) return;
  const current = await repo.findDisputeRow(tx, id);
  if (!current) return;
  await step(tx, ctx, current, actor, {
    kind: 'refund_ordered',
    note: `refund ${refund.id} of ${refund.amount} ${refund.currency} ordered by the ruling`,
    action: 'dispute.refund_ordered',
    details: { forcedRefundId: refund.id, amount: refund.amount, currency: refund.currency },
  });
}

const beingMade = (id: string) => new Error(`dispute ${id}: the ordered refund is being made by another worker`);

/** The job `JOB_FORCE_REFUND`: a no-op once the refund exists; retried while another makes it. */
export async function orderRefundIfMissing(db: Db, ctx: AppContext, id: string): Promise<void> {
  const row = await repo.findDisputeRow(db.kysely, id);
  if (row?.ruling_outcome !== 'resolved_for_customer' || row.forced_refund_id) return;
  if (row.force_claimed_until && row.force_claimed_until > ctx.clock.now().toISOString()) {
    throw beingMade(id);
  }
  await orderRefund(db, ctx, id);
}
