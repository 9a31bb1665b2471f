import { AppError } from '../errors.js';
import type { RefundStatus } from './refund.js';
import type { PolicyRuleBroken } from './refund-policy.js';

export const invalidTransition = (from: RefundStatus, to: RefundStatus) =>
  new AppError('invalid_transition', `a refund in ${from} cannot move to ${to}`, { refundStatus: from });

export const refundFailureFinal = (reason: string | null) =>
  new AppError(
    'refund_failure_final',
    `the refund failed for good (${reason ?? 'unknown'}): ask for a new refund or open a dispute`,
  );

export const onlyMerchantCancels = () => new AppError('forbidden', 'only the merchant can cancel here');

export const onlyMerchantReviews = () => new AppError('forbidden', 'only the merchant reviews its refunds');

export const onlyAcquirerReviewerDecides = () => new AppError('forbidden', 'only a reviewer of the acquirer decides');

export const rejectionReasonRequired = () =>
  new AppError('validation_failed', 'a rejection needs a reason the customer will read');

export const onlyOwnerSetsPolicy = () => new AppError('forbidden', 'only the merchant owner sets the refund policy');

export const noReasonAccepted = () => new AppError('validation_failed', 'accept at least one reason');

export const policyRuleBroken = (broken: PolicyRuleBroken) =>
  new AppError(broken, `the merchant’s refund policy does not allow this (${broken.replaceAll('_', ' ')})`);
