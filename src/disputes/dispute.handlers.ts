import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { type JobHandler, registerJobHandler } from '../jobs/job.service.js';
import * as refunds from '../refunds/refund.service.js';
import * as repo from './dispute.repository.js';
import { JOB_MEDIATION_DEADLINE, recordMissedMediation } from './escalation.js';
import { JOB_FORCE_REFUND, orderRefundIfMissing } from './ordered-refund.js';

/**
 * What the disputes domain hands to the job worker and to the acquirer's rules, in one place.
 * Both are called with the whole context; `dbOf` is the one spot of this folder that takes the
 * database from it, until the worker and the rules pass the connection themselves.
 */
const dbOf = (ctx: AppContext): Db => ctx.db;

export const disputeJobHandlers: Record<string, JobHandler> = {
  [JOB_FORCE_REFUND]: (ctx, payload) => orderRefundIfMissing(dbOf(ctx), ctx, String(payload.disputeId)),
  [JOB_MEDIATION_DEADLINE]: (ctx, payload) => recordMissedMediation(dbOf(ctx), ctx, String(payload.disputeId)),
};

type AcquirerRule = Parameters<typeof refunds.registerAcquirerRule>[1];

export const disputeAcquirerRules: Record<string, AcquirerRule> = {
  /**
   * A refund of a payment under dispute goes to a person at the acquirer, not through the rules:
   * the person sees the dispute and can weigh the refund against it.
   */
  no_open_dispute: async (ctx, refund) => {
    const open = await repo.findOpenDisputeOfPayment(dbOf(ctx).kysely, refund.paymentId);
    return open ? `the payment has an open dispute (${open.id})` : null;
  },
};

for (const [kind, handler] of Object.entries(disputeJobHandlers)) registerJobHandler(kind, handler);
for (const [name, rule] of Object.entries(disputeAcquirerRules)) refunds.registerAcquirerRule(name, rule);
