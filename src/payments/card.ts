/**
 * Card handling. A full card number (PAN) lives only in the request being served: we keep the
 * first six (BIN) and the last four, which PCI DSS allows, and nothing else.
 */
export interface CardSummary {
  bin: string;
  last4: string;
  brand: 'visa' | 'mastercard' | 'unionpay' | 'amex' | 'card';
}

export function luhnValid(pan: string): boolean {
  if (!/^\d{12,19}$/.test(pan)) return false;
  let total = 0;
  for (let i = 0; i < pan.length; i++) {
    let d = pan.charCodeAt(pan.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return total % 10 === 0;
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
