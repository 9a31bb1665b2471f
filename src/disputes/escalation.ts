import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import { enqueueJob } from '../jobs/job.service.js';
import * as refunds from '../refunds/refund.service.js';
import * as errors from './dispute.errors.js';
import { addDays, type Dispute, type DisputeStatus, disputeSettings, redactPans } from './dispute.js';
import * as repo from './dispute.repository.js';
import { type DisputeCaller, reach, SYSTEM } from './dispute-access.js';
import { step } from './dispute-step.js';
import { escalationOpensAt, loadDispute } from './dispute-view.js';

export const JOB_MEDIATION_DEADLINE = 'dispute.mediation_deadline';

/**
 * The customer takes the dispute to the acquirer: at once when the merchant rejected the refund,
 * otherwise after `escalationDays` of negotiation. The acquirer then has `mediationDays` to rule;
 * a job records it when that deadline passes.
 * @throws unauthenticated, not_found, forbidden (not the customer), invalid_transition,
 *   dispute_escalation_too_early
 */
export async function escalate(
  db: Db,
  ctx: AppContext,
  caller: DisputeCaller,
  id: string,
  reason: string,
): Promise<Dispute> {
  const { row, party, actor } = await reach(db, ctx, caller, id);
  if (party !== 'customer') throw errors.notYourPart('only the customer escalates a dispute');
  if (row.status !== 'negotiating') throw errors.invalidTransition(row.status as DisputeStatus, 'escalated');
  const now = ctx.clock.now();
  const at = now.toISOString();
  const dueAt = addDays(at, disputeSettings(ctx.config).mediationDays);
  await transaction(db, async (tx) => {
    const current = await repo.lockDisputeRow(tx, id);
    if (current?.status !== 'negotiating') {
      throw errors.invalidTransition((current?.status ?? row.status) as DisputeStatus, 'escalated');
    }
    // When escalation opens depends on the refunds (the merchant's refusal): read under the lock.
    const allowedAt = escalationOpensAt(ctx, current, await refunds.listRefundsOfPayment(tx, current.payment_id));
    if (now.getTime() < new Date(allowedAt).getTime()) throw errors.escalationTooEarly(allowedAt);
    await step(tx, ctx, current, actor, {
      kind: 'transition',
      to: 'escalated',
      note: redactPans(reason),
      set: { escalated_at: at, escalation_reason: redactPans(reason), mediation_due_at: dueAt },
      action: 'dispute.escalated',
      details: { mediationDueAt: dueAt },
      notify: { customer: 'dispute_escalated', merchant: 'dispute_escalated', data: { dueAt } },
      webhook: 'dispute.escalated',
    });
    await enqueueJob(tx, ctx, JOB_MEDIATION_DEADLINE, { disputeId: id }, new Date(dueAt));
  });
  return loadDispute(db.kysely, ctx, id);
}

/**
 * The acquirer's mediation deadline (job `JOB_MEDIATION_DEADLINE`): recorded, and both sides told,
 * when it passes unruled; once.
 */
export async function recordMissedMediation(db: Db, ctx: AppContext, id: string): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await transaction(db, async (tx) => {
    const current = await repo.lockDisputeRow(tx, id);
    if (current?.status !== 'escalated' || !current.mediation_due_at) return;
    if (current.mediation_due_at > now) return;
    const events = await repo.listEventRows(tx, id);
    if (events.some((e) => e.kind === 'mediation_overdue')) return;
    await step(tx, ctx, current, SYSTEM, {
      kind: 'mediation_overdue',
      note: `no ruling by ${current.mediation_due_at}`,
      action: 'dispute.mediation_overdue',
      details: { mediationDueAt: current.mediation_due_at },
      notify: {
        customer: 'dispute_mediation_overdue',
        merchant: 'dispute_mediation_overdue',
        data: { dueAt: current.mediation_due_at },
      },
    });
  });
}
