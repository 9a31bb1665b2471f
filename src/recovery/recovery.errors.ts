import { AppError } from '../errors.js';

/** The recovery domain's expected outcomes (forgotten refund password: codes and agent unlocks). */

export const tooManyCodes = (maxSendsPerHour: number) =>
  new AppError('rate_limited', `at most ${maxSendsPerHour} codes an hour: try again later`);

/** Wrong or expired recovery code: one answer. */
export const recoveryCodeInvalid = () => new AppError('recovery_code_invalid');

export const recoveryCodeUsed = () => new AppError('recovery_code_invalid', 'the code was already used');

export const notYourAgency = () => new AppError('forbidden', 'this terminal is not served by your agency');

export const challengeNotForTerminal = () =>
  new AppError('challenge_invalid', 'the challenge does not belong to this terminal: read it again');

export const challengeUsed = () =>
  new AppError('challenge_invalid', 'this challenge was already used: ask for a new one');

export const challengeExpired = () =>
  new AppError('challenge_invalid', 'this challenge has expired: ask the terminal for a new one');

/** Wrong or expired unlock code: one answer. */
export const unlockCodeInvalid = () => new AppError('unlock_code_invalid');

export const unlockCodeUsed = () => new AppError('unlock_code_invalid', 'the unlock code was already used');
