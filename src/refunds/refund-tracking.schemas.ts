import { z } from 'zod';
import { refundStatuses } from './refund.js';

/** The customer's view of a refund (`publicView`): its tracking page, and a dispute's ordered refund. */
export const publicRefundSchema = z.object({
  id: z.string(),
  status: z.enum(refundStatuses),
  statusText: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  amountText: z.string(),
  reason: z.string(),
  decisionReason: z.string().nullable(),
  processorReference: z.string().nullable().describe('The trace number (like an ARN) once succeeded'),
  timeline: z.array(z.object({ at: z.string(), status: z.enum(refundStatuses), text: z.string() })),
  next: z.object({ text: z.string(), by: z.string().nullable() }),
  disputeId: z.string().nullable().describe('The dispute (协商) the customer opened on this refund, if any'),
  disputeAllowed: z
    .boolean()
    .describe('Whether a dispute may be opened on it now: declined, failed, or left past the merchant’s deadline'),
  createdAt: z.string(),
});
