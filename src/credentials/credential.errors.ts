import { AppError, type ErrorCode } from '../errors.js';
import type { PasswordViolation } from './password-policy.js';

const VIOLATION_TEXT: Record<PasswordViolation, string> = {
  password_too_short: 'the new password is too short',
  password_too_long: 'the new password is too long',
  password_not_digits: 'the refund password is digits only (terminal keypad)',
  password_trivial: 'the new password is too easy to guess (same digits, a run such as 123456, or a repeated block)',
  password_common: 'the new password is on the list of the most common passwords',
  password_personal_info: 'the new password contains the merchant’s phone number or your e-mail name',
  password_too_weak: 'the new password needs letters and digits',
};

export const policyViolation = (v: PasswordViolation) => new AppError(v, VIOLATION_TEXT[v]);
export const confirmationMismatch = () =>
  new AppError('password_confirmation_mismatch', 'the new password and its confirmation differ');
export const reused = (n: number) =>
  new AppError('password_reused', `the new password must differ from the last ${n} passwords`);
export const locked = (until: string) =>
  new AppError('locked', `too many failed attempts: locked until ${until}`, { unlockAt: until, attemptsLeft: 0 });

/**
 * The answer to a wrong entry where a person stands at the terminal (refund password, operator
 * sign-on): how many tries are left, or — for the entry that locks — `423 locked` with `unlockAt`
 * at once. Console logins never use it: their answer stays neutral (see session.service).
 */
export function wrongEntry(
  attempt: { attemptsLeft: number; lockedUntil: string | null },
  code: ErrorCode,
  detail: string,
): AppError {
  if (attempt.lockedUntil) return locked(attempt.lockedUntil);
  const left = attempt.attemptsLeft;
  return new AppError(code, `${detail}: ${left} attempt${left === 1 ? '' : 's'} left`, { attemptsLeft: left });
}
export const refundPasswordExpired = () =>
  new AppError('refund_password_expired', 'the refund password has expired: change it first');
export const refundPasswordUnset = () =>
  new AppError(
    'refund_password_unset',
    'the merchant has no refund password (a terminal was re-initialised): the supervisor or the owner sets a new one first',
  );
export const refundPasswordChanged = () =>
  new AppError(
    'refund_password_changed',
    'the refund password was changed while this request was being checked: nothing was done, enter the new one',
  );
export const currentPasswordWrong = () => new AppError('invalid_credentials', 'the current password is wrong');
export const refundPasswordRequired = () => new AppError('refund_password_required');
export const currentRefundPasswordRequired = () =>
  new AppError('refund_password_required', 'the current refund password is required');
/** A merchant's password-policy override that makes no sense (e.g. a minimum above the maximum). */
export const policyInvalid = (problem: string) => new AppError('validation_failed', problem);
