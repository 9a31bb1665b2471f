import type { JobHandlers } from '../jobs/job.service.js';
import type { AcquirerRules } from '../refunds/refund.jobs.js';
import * as repo from './dispute.repository.js';
import { JOB_MEDIATION_DEADLINE, recordMissedMediation } from './escalation.js';
import { JOB_FORCE_REFUND, orderRefundIfMissing } from './ordered-refund.js';

/**
 * What the disputes domain hands to the job worker and to the acquirer's rules, in one place;
 * `src/wiring.ts` assembles them with the other domains' at start-up.
 */
export const disputeJobHandlers: JobHandlers = {
  [JOB_FORCE_REFUND]: { task: (db, ctx, payload) => orderRefundIfMissing(db, ctx, String(payload.disputeId)) },
  [JOB_MEDIATION_DEADLINE]: {
    task: (db, ctx, payload) => recordMissedMediation(db, ctx, String(payload.disputeId)),
  },
};

export const disputeAcquirerRules: AcquirerRules = {
  /**
   * A refund of a payment under dispute goes to a person at the acquirer, not through the rules:
   * the person sees the dispute and can weigh the refund against it.
   */
  no_open_dispute: async (conn, { payment }) => {
    const open = await repo.findOpenDisputeOfPayment(conn, payment.id);
    return open ? `the payment has an open dispute (${open.id})` : null;
  },
};
