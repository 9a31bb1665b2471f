import type { AppContext } from '../context.js';
import * as errors from './credential.errors.js';
import {
  consolePasswordViolation,
  operatorPasswordViolation,
  policyFor,
  refundPasswordViolation,
} from './password-policy.js';

/**
 * The first secret of a new merchant, operator or console user is held to the same platform rules
 * as every later one (a new party has no history to check yet).
 * @throws password_too_short, password_too_long, password_not_digits, password_trivial,
 *   password_common, password_personal_info, password_too_weak
 */
export function assertInitialRefundPassword(ctx: AppContext, pin: string, phone?: string | null): void {
  const v = refundPasswordViolation(pin, policyFor(ctx), { phones: [phone] });
  if (v) throw errors.policyViolation(v);
}

export function assertInitialOperatorPassword(ctx: AppContext, pin: string): void {
  const v = operatorPasswordViolation(pin, policyFor(ctx));
  if (v) throw errors.policyViolation(v);
}

export function assertInitialConsolePassword(ctx: AppContext, password: string, email: string): void {
  const v = consolePasswordViolation(password, policyFor(ctx), { email });
  if (v) throw errors.policyViolation(v);
}
