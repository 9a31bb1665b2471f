import { AppError } from '../errors.js';

/** A `from` / `to` filter that is not a date-time. */
export const notIsoDateTime = (name: string) =>
  new AppError('validation_failed', `${name} is not an ISO 8601 date-time`);
