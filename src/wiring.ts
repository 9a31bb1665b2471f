import { disputeAcquirerRules, disputeJobHandlers } from './disputes/dispute.handlers.js';
import type { JobHandlers } from './jobs/job.service.js';
import { notificationJobHandlers } from './notifications/notification.service.js';
import { type AcquirerRules, refundAcquirerRules, refundJobHandlers } from './refunds/refund.jobs.js';
import { webhookJobHandlers } from './webhooks/webhook.service.js';

/**
 * The one place where the domains' pluggable parts meet, at start-up: each domain exports its job
 * handlers and acquirer rules, and nothing registers itself as a side effect of being imported.
 */

/** The acquirer's automatic-review rules: every one must pass for a refund to skip a person. */
export const acquirerRules: AcquirerRules = { ...refundAcquirerRules, ...disputeAcquirerRules };

/** Every job kind the domains queue, with its handler (`src/wiring.test.ts` checks none is missing). */
export const jobHandlers: JobHandlers = {
  ...refundJobHandlers(acquirerRules),
  ...disputeJobHandlers,
  ...notificationJobHandlers,
  ...webhookJobHandlers,
};
