/**
 * How a customer's contact is kept: the one spelling the schemas store, the notifications send to
 * and tracking-by-contact compares, so "138 0013 8000", "+86 13800138000" and "１３８００１３８０００"
 * are the same phone and "Kim@Example.COM " the same e-mail.
 */

/** The country a phone number without a country code belongs to. */
export const DEFAULT_COUNTRY_CODE = '86';

/** What a phone may be written with besides digits: a leading +, spaces, dashes, dots, brackets. */
const PHONE_CHARS = /^\+?[\d\s().-]*$/;

export type PhoneResult = { ok: true; phone: string } | { ok: false; reason: 'empty' | 'not_a_phone' };

/**
 * A phone number in E.164 (`+8613800138000`): separators dropped, `00` read as `+`, a number
 * without a country code taken as Chinese (its trunk `0` dropped: `010 1234 5678` → `+861012345678`).
 * `empty` when nothing but separators was given; `not_a_phone` for letters or a wrong length.
 */
export function normalisePhone(raw: string): PhoneResult {
  const text = raw.normalize('NFKC').trim();
  if (!PHONE_CHARS.test(text)) return { ok: false, reason: 'not_a_phone' };
  const digits = text.replace(/\D/g, '');
  if (digits === '') return { ok: false, reason: 'empty' };
  let e164: string;
  if (text.startsWith('+')) e164 = digits;
  else if (digits.startsWith('00')) e164 = digits.slice(2);
  else if (/^861\d{10}$/.test(digits)) e164 = digits;
  else e164 = DEFAULT_COUNTRY_CODE + digits.replace(/^0/, '');
  // E.164: at most 15 digits with the country code; shorter than 8 reaches nobody.
  if (e164.length < 8 || e164.length > 15 || e164.startsWith('0')) return { ok: false, reason: 'not_a_phone' };
  return { ok: true, phone: `+${e164}` };
}

/** An e-mail address as kept: NFKC, trimmed, lower case (the schema checks its shape). */
export function normaliseEmail(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

/**
 * A contact given to look up a refund, in the stored spelling: an e-mail when it has an `@`, else
 * a phone; '' when it is neither (which matches nothing).
 */
export function normaliseContact(raw: string): string {
  if (raw.includes('@')) return normaliseEmail(raw);
  const phone = normalisePhone(raw);
  return phone.ok ? phone.phone : '';
}
