import { AppError } from '../errors.js';

/** `/metrics` refuses: the token is missing or wrong (`METRICS_TOKEN` is set). */
export const metricsTokenRequired = () => new AppError('metrics_token_required');

/** `/metrics` refuses: no token is configured, and the caller is not on this machine. */
export const metricsLoopbackOnly = () =>
  new AppError('metrics_loopback_only', 'Without METRICS_TOKEN, /metrics answers 127.0.0.1 and ::1 only');
