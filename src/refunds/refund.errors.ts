import { AppError } from '../errors.js';
import type { RefundStatus } from './refund.js';

export const refundExceedsRefundable = (refundable: number, currency: string) =>
  new AppError('refund_exceeds_refundable', `at most ${refundable} (minor units of ${currency}) can be refunded`, {
    refundableAmount: refundable,
    currency,
  });

export const paymentNotRefundable = (status: string) =>
  new AppError('payment_not_refundable', `a ${status} payment cannot be refunded`);

export const invalidTransition = (from: RefundStatus, to: RefundStatus) =>
  new AppError('invalid_transition', `a refund in ${from} cannot move to ${to}`, { refundStatus: from });

export const refundFailureFinal = (reason: string | null) =>
  new AppError(
    'refund_failure_final',
    `the refund failed for good (${reason ?? 'unknown'}): ask for a new refund or open a dispute`,
  );
