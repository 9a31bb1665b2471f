/**
 * Money is an integer of minor units (fen, cents) plus an ISO 4217 currency code. `money()` checks
 * an amount where it enters (a payment, a refund); `format()` writes one for people.
 *
 * The arithmetic itself stays plain `+` / `-` / `<=` on numbers, on purpose: every amount is a
 * safe integer checked on the way in (the HTTP schemas' `MAX_AMOUNT`, ~10^12, and `money()`), so
 * sums over a payment's refunds stay far below 2^53 and never round; a refund's currency is the
 * payment's (`currency_mismatch` otherwise), so no sum mixes currencies; and the database's CHECKs
 * (`src/db/checks.ts`) refuse a refunded or reserved total beyond captured − voided whatever code
 * computed it. Wrapping each `+` in a `Money` would add no check those do not already make.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export class MoneyError extends Error {}

const CURRENCY = /^[A-Z]{3}$/;

function assertAmount(amount: number): number {
  if (!Number.isSafeInteger(amount))
    throw new MoneyError(`amount must be a safe integer of minor units, got ${amount}`);
  return amount;
}

export function money(amount: number, currency: string): Money {
  assertAmount(amount);
  if (!CURRENCY.test(currency)) throw new MoneyError(`currency must be an ISO 4217 code, got ${currency}`);
  return { amount, currency };
}

/** Minor units per major unit; CNY, USD, EUR have 2, JPY and KRW 0. */
const EXPONENT: Record<string, number> = { JPY: 0, KRW: 0 };

export function minorUnitExponent(currency: string): number {
  return EXPONENT[currency] ?? 2;
}

/** "12.34 CNY" for receipts and messages; never used to compute. */
export function format(m: Money): string {
  const exp = minorUnitExponent(m.currency);
  const sign = m.amount < 0 ? '-' : '';
  const abs = Math.abs(m.amount);
  if (exp === 0) return `${sign}${abs} ${m.currency}`;
  const major = Math.floor(abs / 10 ** exp);
  const minor = String(abs % 10 ** exp).padStart(exp, '0');
  return `${sign}${major}.${minor} ${m.currency}`;
}
