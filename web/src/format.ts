import { currentLanguage } from './i18n';

/** ¥1,234.56 from integer minor units; the narrow symbol in both languages (en would say CN¥). */
export function money(amount: number, currency = 'CNY'): string {
  return new Intl.NumberFormat(currentLanguage(), {
    style: 'currency',
    currency,
    currencyDisplay: 'narrowSymbol',
  }).format(amount / 100);
}

/** A date and time in the user's own time zone. */
export function dateTime(iso: string): string {
  return new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function clock(d: Date): string {
  return new Intl.DateTimeFormat(currentLanguage(), { hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

/** "12.34" → 1234 without floating point; undefined for anything that is not a positive amount. */
export function parseAmount(text: string): number | undefined {
  const m = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return undefined;
  const minor = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return minor > 0 ? minor : undefined;
}

/** A random Idempotency-Key (getRandomValues works outside secure contexts too). */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
