import { AppError } from '../errors.js';

/** The key was used before with a different request. */
export const idempotencyConflict = () => new AppError('idempotency_conflict');

export const idempotencyKeyInvalid = () =>
  new AppError('validation_failed', 'Idempotency-Key must be 1–255 printable ASCII characters');
