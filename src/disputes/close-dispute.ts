import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import * as refunds from '../refunds/refund.service.js';
import * as errors from './dispute.errors.js';
import {
  type CloseOutcome,
  closeRules,
  type Dispute,
  type DisputeStatus,
  linkedRefunds,
  redactPans,
} from './dispute.js';
import * as repo from './dispute.repository.js';
import { type DisputeCaller, reach } from './dispute-access.js';
import { step } from './dispute-step.js';
import { loadDispute } from './dispute-view.js';

/**
 * Closes a dispute with an outcome (see `closeRules`): settled once a linked refund succeeded,
 * withdrawn or accepted by the customer, concluded after a referral.
 * @throws unauthenticated, not_found, forbidden, invalid_transition, dispute_not_settled,
 *   validation_failed (concluded without a note)
 */
export async function closeDispute(
  db: Db,
  ctx: AppContext,
  caller: DisputeCaller,
  id: string,
  input: { outcome: CloseOutcome; note?: string },
): Promise<Dispute> {
  const { row, party, actor } = await reach(db, ctx, caller, id);
  const rule = closeRules[input.outcome];
  if (!rule.by.includes(party)) throw errors.notYourPart(`the ${party} cannot close a dispute as ${input.outcome}`);
  const closable = (status: string) => rule.from.includes(status as DisputeStatus);
  if (!closable(row.status)) throw errors.invalidTransition(row.status as DisputeStatus, `closed as ${input.outcome}`);
  if (input.outcome === 'concluded' && !input.note?.trim()) throw errors.conclusionRequired();
  await transaction(db, async (tx) => {
    const current = await repo.lockDisputeRow(tx, id);
    if (!current || !closable(current.status)) {
      throw errors.invalidTransition((current?.status ?? row.status) as DisputeStatus, `closed as ${input.outcome}`);
    }
    if (input.outcome === 'settled') {
      const all = await refunds.listRefundsOfPayment(tx, current.payment_id);
      // After a ruling for the customer, it is the refund the ruling ordered that settles it.
      const settling = current.forced_refund_id
        ? all.filter((r) => r.id === current.forced_refund_id)
        : linkedRefunds({ id: current.id, refundId: current.refund_id, createdAt: current.created_at }, all);
      if (!settling.some((r) => r.status === 'succeeded')) throw errors.notSettled();
    }
    await step(tx, ctx, current, actor, {
      kind: 'transition',
      to: 'closed',
      note: input.note ? `${input.outcome}: ${redactPans(input.note)}` : input.outcome,
      set: { outcome: input.outcome, closed_at: ctx.clock.now().toISOString() },
      action: 'dispute.closed',
      details: { outcome: input.outcome },
      notify: { customer: 'dispute_closed', merchant: 'dispute_closed', data: { outcome: input.outcome } },
      webhook: 'dispute.closed',
    });
  });
  return loadDispute(db.kysely, ctx, id);
}
