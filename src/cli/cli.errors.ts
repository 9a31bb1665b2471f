import { AppError } from '../errors.js';

/** The CLI's own expected errors: a bad argument or setting, or an actor that may not act. */
export const badArgument = (message: string) => new AppError('validation_failed', message);
export const notAllowed = (message: string) => new AppError('forbidden', message);
export const unknownChain = (chain: string) =>
  new AppError('not_found', `no audit chain ${chain}: give a merchant id that has events, or "platform"`);
export const passwordChangeRequired = () =>
  new AppError('password_change_required', 'this operator must change their reset password first');
