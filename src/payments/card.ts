/**
 * Card handling. A full card number (PAN) lives only in the request being served: we keep the
 * first six (BIN) and the last four, which PCI DSS allows, and nothing else.
 */
export interface CardSummary {
  bin: string;
  last4: string;
  brand: 'visa' | 'mastercard' | 'unionpay' | 'amex' | 'card';
}

/** The Luhn check over a string of ASCII digits. */
function luhn(digits: string): boolean {
  let total = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return total % 10 === 0;
}

/** A card number as accepted at a sale: 12–19 digits, Luhn-valid. */
export function luhnValid(pan: string): boolean {
  return /^\d{12,19}$/.test(pan) && luhn(pan);
}

/** What PCI DSS 3.3–3.5 treats as a full PAN in text: 13–19 digits passing the Luhn check. */
function isPanLike(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && luhn(digits);
}

/** Runs of digits, single spaces or dashes allowed between them, as card numbers are written. */
const DIGIT_RUN = /\d(?:[ -]?\d)+/g;

/**
 * True when the text holds a full card number, written plain (`4111111111111111`) or grouped by
 * single spaces or dashes (`4111 1111 1111 1111`). A plain run is also tried on its own, so a PAN
 * next to a date (`2026-4111…`) is not hidden by its neighbour.
 */
export function containsPan(text: string): boolean {
  if (digitCount(text) < 13) return false; // too few digits for any PAN: the common case, ids and names
  for (const m of text.matchAll(/\d+/g)) if (isPanLike(m[0])) return true;
  for (const m of text.matchAll(DIGIT_RUN)) if (isPanLike(m[0].replace(/[ -]/g, ''))) return true;
  return false;
}

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

const mask = (digits: string) => `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`;

/**
 * The one masking rule for prose (notes, descriptions, messages, reasons): every full card number
 * (see containsPan) keeps its first 6 and last 4 digits, the rest become `*`. Idempotent; a
 * grouped number loses its grouping. Applied by the `prose` schemas of src/http/text.ts where
 * input enters, so the clear number never reaches a row, a log line, a message or a PDF.
 */
export function maskPans(text: string): string {
  const grouped = text.replace(DIGIT_RUN, (run) => {
    const digits = run.replace(/[ -]/g, '');
    return isPanLike(digits) ? mask(digits) : run;
  });
  // A PAN glued to other digits by a separator (a phone, a date) is still a PAN on its own.
  return grouped.replace(/\d+/g, (run) => (isPanLike(run) ? mask(run) : run));
}

export function brandOf(pan: string): CardSummary['brand'] {
  if (/^4/.test(pan)) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(pan)) return 'mastercard';
  if (/^62/.test(pan)) return 'unionpay';
  if (/^3[47]/.test(pan)) return 'amex';
  return 'card';
}

/** Spaces and dashes are allowed in input, as printed on cards. */
export function normalisePan(input: string): string {
  return input.replace(/[\s-]/g, '');
}

export function summarise(pan: string): CardSummary {
  return { bin: pan.slice(0, 6), last4: pan.slice(-4), brand: brandOf(pan) };
}

export function maskedPan(c: Pick<CardSummary, 'bin' | 'last4'>): string {
  return `${c.bin.slice(0, 4)} ${c.bin.slice(4, 6)}** **** ${c.last4}`;
}
