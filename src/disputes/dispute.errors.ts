import { AppError, notFound } from '../errors.js';
import type { DisputeStatus } from './dispute.js';

/** The disputes domain's expected outcomes (codes in src/errors.ts, documented in docs/errors.md). */

/** Unknown id, wrong secret, another merchant's dispute: one answer for all. */
export const disputeNotFound = () => notFound('dispute');

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
