/**
 * Money is an integer of minor units (fen, cents) plus an ISO 4217 currency code. All arithmetic on
 * amounts goes through this module so that floats, unsafe integers and mixed currencies never slip
 * into a sum.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export class MoneyError extends Error {}

const CURRENCY = /^[A-Z]{3}$/;

export function assertAmount(amount: number): number {
  if (!Number.isSafeInteger(amount))
    throw new MoneyError(`amount must be a safe integer of minor units, got ${amount}`);
  return amount;
}

export function money(amount: number, currency: string): Money {
  assertAmount(amount);
  if (!CURRENCY.test(currency)) throw new MoneyError(`currency must be an ISO 4217 code, got ${currency}`);
  return { amount, currency };
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new MoneyError(`currency mismatch: ${a.currency} vs ${b.currency}`);
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount + b.amount, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount - b.amount, a.currency);
}

export function sum(currency: string, items: readonly Money[]): Money {
  return items.reduce(add, money(0, currency));
}

export function isGreaterThan(a: Money, b: Money): boolean {
  sameCurrency(a, b);
  return a.amount > b.amount;
}

export function min(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return a.amount <= b.amount ? a : b;
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
