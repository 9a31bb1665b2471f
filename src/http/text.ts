import { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import { normaliseEmail, normalisePhone } from '../notifications/contact.js';
import { containsPan, maskPans } from '../payments/card.js';

/**
 * What people type, made safe where it enters: every text field of every route is built here, so
 * the rules hold for all of them (README, "What the API accepts as text").
 *
 * - NFKC first (full-width `１２３` becomes `123`, the ideographic space a space), then the checks.
 * - `line`: one line: no control character at all (C0, DEL, C1, U+2028/2029), no lone surrogate;
 *   trimmed; blank is refused.
 * - `prose`: notes, descriptions, messages, reasons: line breaks (`\r\n` becomes `\n`) and tabs
 *   allowed, no other control character; a full card number is masked (first 6 + last 4) before
 *   anything downstream sees it.
 * - `label`: a structured single line (a name, a URL, an address): a full card number is refused
 *   with 422 `card_number_not_allowed`, because masking would change what the value means.
 * - `secretText`: a password or code: NFKC, no control characters, not all blank; not trimmed.
 *
 * An issue may carry `params.code`, an error code of the catalog: the problem hook answers with
 * that code (and its status) when every issue of a request carries one.
 */

const CONTROL_IN_LINE = /[\p{Cc}\p{Cs}\u2028\u2029]/u;
/** A control character other than a line feed or a tab (`[^\P{Cc}\n\t]`: Cc minus those two). */
const CONTROL_IN_PROSE = /[^\P{Cc}\n\t]|[\p{Cs}\u2028\u2029]/u;

/** The custom-issue options that make the problem hook answer with `code`. */
export const coded = (code: ErrorCode, message: string) => ({ message, params: { code } });

const noControlInLine = (s: string) => !CONTROL_IN_LINE.test(s);
const noCardNumber = (s: string) => !containsPan(s);
const CARD_REFUSED = coded(
  'card_number_not_allowed',
  'looks like a full card number; card numbers are not accepted in this field',
);

/** One line of text, at most `max` characters after normalising; blank is refused unless min is 0. */
export function line(max: number, min = 1) {
  return z
    .string()
    .normalize('NFKC')
    .refine(noControlInLine, 'must be one line of text, without control characters')
    .trim()
    .min(min, min === 1 ? 'must not be blank' : `at least ${min} characters`)
    .max(max);
}

/** Free text that may span lines; a full card number in it is masked. Blank is refused. */
export function prose(max: number) {
  return z
    .string()
    .normalize('NFKC')
    .overwrite((s) => s.replace(/\r\n/g, '\n'))
    .refine((s) => !CONTROL_IN_PROSE.test(s), 'may hold line breaks and tabs, but no other control characters')
    .trim()
    .min(1, 'must not be blank')
    .max(max)
    .overwrite(maskPans);
}

/** Exactly `n` ASCII digits once normalised (full-width digits count). */
export function digits(n: number, message = `${n} digits`) {
  return line(n).regex(new RegExp(`^\\d{${n}}$`), message);
}

/** A structured one-line value that must not hold a card number (422 card_number_not_allowed). */
export function label(max: number) {
  return line(max).refine(noCardNumber, CARD_REFUSED);
}

/** A password, PIN or one-time code as typed: NFKC, no control characters, not all blank. */
export function secretText(max: number) {
  return z
    .string()
    .normalize('NFKC')
    .refine(noControlInLine, 'must not hold control characters')
    .min(1)
    .refine((s) => s.trim() !== '', 'must not be blank')
    .max(max);
}

const CONTACT_REQUIRED = coded('contact_required', 'give an e-mail or a phone number to be told of each step');

/** A customer's e-mail: as `emailAddress`, but blank is the 422 `contact_required`. */
const contactEmail = z
  .string()
  .normalize('NFKC')
  .refine(noControlInLine, 'must be one line of text, without control characters')
  .overwrite(normaliseEmail)
  .refine((s) => s !== '', { ...CONTACT_REQUIRED, abort: true })
  .max(254)
  .regex(z.regexes.email, 'not an e-mail address')
  .refine(noCardNumber, CARD_REFUSED)
  .meta({ format: 'email' });

/**
 * A customer's phone, stored in E.164 (`+8613800138000`; +86 when no country code is given). Only
 * digits and separators; nothing but separators is the 422 `contact_required`.
 */
const contactPhone = z
  .string()
  .normalize('NFKC')
  .refine(noControlInLine, 'must be one line of text, without control characters')
  .max(40)
  .superRefine((s, ctx) => {
    const r = normalisePhone(s);
    if (r.ok) return;
    if (r.reason === 'empty') ctx.addIssue({ code: 'custom', ...CONTACT_REQUIRED });
    else ctx.addIssue({ code: 'custom', message: 'a phone number: digits, with an optional + and country code' });
  })
  .overwrite((s) => {
    const r = normalisePhone(s);
    return r.ok ? r.phone : s;
  })
  .describe('Digits, optionally +country code; stored as E.164, +86 when no country code is given');

/** `{ email?, phone? }` as given, normalised; which of them must be present is the route's rule. */
export const contactFields = z.object({ email: contactEmail.optional(), phone: contactPhone.optional() }).strict();

/** A contact that must reach someone: at least one of e-mail and phone (else 422 contact_required). */
export const contact = contactFields.refine((c) => c.email || c.phone, CONTACT_REQUIRED);

/** A contact typed to look a refund up: an e-mail or a phone, compared in the stored spelling. */
export const contactQuery = line(254);
