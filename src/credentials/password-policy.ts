import { readFileSync } from 'node:fs';
import type { AppContext } from '../context.js';
import { COMMON_PINS } from './common-pins.js';
import { POLICY_BOUNDS } from './policy-bounds.js';

/**
 * The rules for every secret a person chooses. One policy for the platform, which a merchant may
 * override in part (stored on the merchant). Pure: no I/O except loading the shipped word list once.
 */
export interface PasswordPolicy {
  refundPassword: { minLength: number; maxLength: number; expiryDays: number; warnDays: number };
  operatorPassword: { minLength: number; maxLength: number };
  consolePassword: { minLength: number; maxLength: number };
  /** How many earlier secrets a new one may not repeat (the current one included). */
  historySize: number;
  lockout: { maxFailures: number; lockMinutes: number };
  recovery: { codeMinutes: number; maxSendsPerHour: number; unlockCodeMinutes: number; challengeMinutes: number };
}

export const defaultPolicy: PasswordPolicy = {
  // Terminal keypads: digits only. PCI DSS 8.3.9: change every 90 days at most.
  refundPassword: { minLength: 6, maxLength: 12, expiryDays: 90, warnDays: 14 },
  operatorPassword: { minLength: 4, maxLength: 12 },
  // PCI DSS 8.3.6: at least 12 characters, letters and digits; NIST: accept long ones.
  consolePassword: { minLength: 12, maxLength: 128 },
  historySize: 5,
  // PCI DSS 8.3.4: lock after at most 10 tries for at least 30 minutes.
  lockout: { maxFailures: 5, lockMinutes: 30 },
  recovery: { codeMinutes: 10, maxSendsPerHour: 3, unlockCodeMinutes: 15, challengeMinutes: 15 },
};

export type PolicyOverride = {
  [K in keyof PasswordPolicy]?: PasswordPolicy[K] extends object ? Partial<PasswordPolicy[K]> : PasswordPolicy[K];
};

export function mergePolicy(base: PasswordPolicy, override: PolicyOverride | null | undefined): PasswordPolicy {
  if (!override) return base;
  return {
    refundPassword: { ...base.refundPassword, ...override.refundPassword },
    operatorPassword: { ...base.operatorPassword, ...override.operatorPassword },
    consolePassword: { ...base.consolePassword, ...override.consolePassword },
    historySize: override.historySize ?? base.historySize,
    lockout: { ...base.lockout, ...override.lockout },
    recovery: { ...base.recovery, ...override.recovery },
  };
}

export type PasswordViolation =
  | 'password_too_short'
  | 'password_too_long'
  | 'password_not_digits'
  | 'password_trivial'
  | 'password_common'
  | 'password_personal_info'
  | 'password_too_weak';

function allSame(pin: string): boolean {
  return /^(\d)\1+$/.test(pin);
}

/** 123456, 654321, and wrapping runs such as 890123 / 321098. */
function straightRun(pin: string): boolean {
  let up = true;
  let down = true;
  for (let i = 1; i < pin.length; i++) {
    const d = (pin.charCodeAt(i) - pin.charCodeAt(i - 1) + 10) % 10;
    if (d !== 1) up = false;
    if (d !== 9) down = false;
  }
  return up || down;
}

/** A short block repeated: 121212, 123123, 5252. */
function repeatedBlock(pin: string): boolean {
  for (let size = 1; size <= pin.length / 2; size++) {
    if (pin.length % size === 0 && pin.slice(0, size).repeat(pin.length / size) === pin) return true;
  }
  return false;
}

function digitRuleViolation(pin: string, range: { minLength: number; maxLength: number }): PasswordViolation | null {
  if (!/^\d+$/.test(pin)) return 'password_not_digits';
  if (pin.length < range.minLength) return 'password_too_short';
  if (pin.length > range.maxLength) return 'password_too_long';
  if (allSame(pin) || straightRun(pin) || repeatedBlock(pin)) return 'password_trivial';
  if (COMMON_PINS.has(pin)) return 'password_common';
  return null;
}

/** The personal numbers a refund PIN must not be: the phone number, or any 6+ digit run of it. */
function containsPersonalNumber(pin: string, phones: readonly (string | null | undefined)[]): boolean {
  for (const raw of phones) {
    const phone = (raw ?? '').replace(/\D/g, '');
    if (phone.length < 6) continue;
    if (phone.includes(pin) || pin.includes(phone)) return true;
    for (let i = 0; i + 6 <= phone.length; i++) if (pin.includes(phone.slice(i, i + 6))) return true;
  }
  return false;
}

/** The first rule a proposed refund password breaks, or null. */
export function refundPasswordViolation(
  pin: string,
  policy: PasswordPolicy,
  personal: { phones?: readonly (string | null | undefined)[] } = {},
): PasswordViolation | null {
  const v = digitRuleViolation(pin, policy.refundPassword);
  if (v) return v;
  if (containsPersonalNumber(pin, personal.phones ?? [])) return 'password_personal_info';
  return null;
}

export function operatorPasswordViolation(pin: string, policy: PasswordPolicy): PasswordViolation | null {
  return digitRuleViolation(pin, policy.operatorPassword);
}

let commonPasswords: ReadonlySet<string> | undefined;
function commonPasswordList(): ReadonlySet<string> {
  commonPasswords ??= new Set(
    readFileSync(new URL('./data/common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean),
  );
  return commonPasswords;
}

/** "Summer2024!" is "summer" with decoration: strip trailing digits and symbols, then look it up. */
function isCommonPassword(pw: string): boolean {
  const list = commonPasswordList();
  const lower = pw.toLowerCase();
  const core = lower.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
  return list.has(lower) || (core.length > 0 && list.has(core)) || list.has(lower.replace(/\s+/g, ''));
}

/** Console passwords (PCI DSS 8.3.6): long, letters and digits, not a common password or the e-mail. */
export function consolePasswordViolation(
  pw: string,
  policy: PasswordPolicy,
  personal: { email?: string } = {},
): PasswordViolation | null {
  if ([...pw].length < policy.consolePassword.minLength) return 'password_too_short';
  if ([...pw].length > policy.consolePassword.maxLength) return 'password_too_long';
  if (!/\p{L}/u.test(pw) || !/\d/.test(pw)) return 'password_too_weak';
  if (isCommonPassword(pw)) return 'password_common';
  const local = personal.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && pw.toLowerCase().includes(local)) return 'password_personal_info';
  return null;
}

/** Whole days left before a secret changed at `changedAt` expires; null when it never expires. */
export function daysUntilExpiry(changedAt: string | null, expiryDays: number, now: Date): number | null {
  if (expiryDays <= 0 || !changedAt) return null;
  const expires = new Date(changedAt).getTime() + expiryDays * 86_400_000;
  return Math.ceil((expires - now.getTime()) / 86_400_000);
}

const within = (v: number, b: { min: number; max: number }) => Number.isInteger(v) && v >= b.min && v <= b.max;

/** What is wrong with a policy (see POLICY_BOUNDS; min length ≤ max length), or null. */
export function policyProblem(p: PasswordPolicy): string | null {
  const r = p.refundPassword;
  const B = POLICY_BOUNDS;
  if (!within(r.minLength, B.refundPasswordLength) || !within(r.maxLength, B.refundPasswordLength)) {
    return `refund password length must stay within ${B.refundPasswordLength.min}–${B.refundPasswordLength.max} digits`;
  }
  if (r.minLength > r.maxLength) return `min length ${r.minLength} is above max length ${r.maxLength}`;
  if (r.expiryDays !== 0 && !within(r.expiryDays, B.expiryDays)) {
    return `expiry is ${B.expiryDays.min}–${B.expiryDays.max} days, or 0 for never`;
  }
  if (!within(p.historySize, B.historySize)) return `history keeps ${B.historySize.min}–${B.historySize.max} passwords`;
  if (!within(p.lockout.maxFailures, B.maxFailures)) {
    return `lock after ${B.maxFailures.min}–${B.maxFailures.max} failures`;
  }
  if (!within(p.lockout.lockMinutes, B.lockMinutes)) {
    return `lock for ${B.lockMinutes.min}–${B.lockMinutes.max} minutes`;
  }
  return null;
}

/** The platform policy (defaults, then environment), then the merchant's own override. */
export function policyFor(ctx: AppContext, merchantOverride?: string | null): PasswordPolicy {
  const platform = mergePolicy(defaultPolicy, {
    refundPassword: { expiryDays: ctx.config.refundPasswordExpiryDays },
    lockout: { maxFailures: ctx.config.lockoutMaxFailures, lockMinutes: ctx.config.lockoutMinutes },
  });
  return merchantOverride ? mergePolicy(platform, JSON.parse(merchantOverride) as PolicyOverride) : platform;
}
