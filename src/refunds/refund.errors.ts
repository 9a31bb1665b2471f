import { AppError } from '../errors.js';
import type { RefundStatus } from './refund.js';

export const invalidTransition = (from: RefundStatus, to: RefundStatus) =>
  new AppError('invalid_transition', `a refund in ${from} cannot move to ${to}`, { refundStatus: from });

export const refundFailureFinal = (reason: string | null) =>
  new AppError(
    'refund_failure_final',
    `the refund failed for good (${reason ?? 'unknown'}): ask for a new refund or open a dispute`,
  );
