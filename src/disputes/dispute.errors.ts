import { AppError, notFound } from '../errors.js';
import type { DisputeStatus } from './dispute.js';

/** The disputes domain's expected outcomes (codes in src/errors.ts, documented in docs/errors.md). */

/** Unknown id, wrong secret, another merchant's dispute: one answer for all. */
export const disputeNotFound = () => notFound('dispute');

/** A refund dispute's refund: unknown id and wrong tracking secret alike. */
export const refundNotFound = () => notFound('refund');

export const attachmentNotFound = () => notFound('attachment');

/** Unknown share-link token, or a case file gone. */
export const caseFileNotFound = () => notFound('case file');

export const shareLinkExpired = (expiresAt: string) =>
  new AppError('share_link_expired', `this link expired at ${expiresAt}: ask either party for a new copy`);

/** A customer's call without the dispute's secret (and without a session). */
export const secretRequired = () => new AppError('unauthenticated', 'give the dispute’s secret, or sign in');

export { paymentNotMatched } from '../payments/payment.errors.js';

export const invalidTransition = (from: DisputeStatus, action: string) =>
  new AppError('invalid_transition', `a ${from} dispute cannot be ${action}`, { disputeStatus: from });

export const notAllowed = (why: string) => new AppError('dispute_not_allowed', why);

export const alreadyOpen = (disputeId?: string) =>
  new AppError(
    'dispute_already_open',
    'this payment already has a dispute that is not closed: continue it instead',
    disputeId ? { disputeId } : undefined,
  );

export const escalationTooEarly = (allowedAt: string) =>
  new AppError('dispute_escalation_too_early', `negotiate with the merchant until ${allowedAt} first`, {
    escalationAllowedAt: allowedAt,
  });

export const notSettled = () =>
  new AppError('dispute_not_settled', 'close it as settled once a refund linked to it has succeeded');

export const alreadyRated = () => new AppError('dispute_already_rated');

export const notYourPart = (what: string) => new AppError('forbidden', what);

/** A ruling for the customer on a payment with nothing left to refund. */
export const nothingToRefund = (currency: string | null) =>
  new AppError('refund_exceeds_refundable', 'nothing of this payment is left to refund: rule for the merchant', {
    refundableAmount: 0,
    currency,
  });

/** Closing as concluded without saying what the third party decided. */
export const conclusionRequired = () =>
  new AppError('validation_failed', 'say what the third party decided', {
    errors: [{ path: 'body.note', message: 'required when the outcome is concluded' }],
  });

// ── attachments ─────────────────────────────────────────────────────────────

export const attachmentTypeNotAllowed = (detail: string) => new AppError('attachment_type_not_allowed', detail);

export const attachmentTooLarge = (detail: string, maxBytes: number) =>
  new AppError('attachment_too_large', detail, { maxBytes });

export const attachmentContentMismatch = (detail: string) => new AppError('attachment_content_mismatch', detail);

/** A malformed attachment field, answered like the schema's own validation errors. */
export const attachmentInvalid = (path: string, message: string) =>
  new AppError('validation_failed', message, { errors: [{ path, message }] });
