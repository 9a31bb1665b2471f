import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable ids (`re_01J…`): 10 Crockford base32 characters of milliseconds, then 16
 * random ones (80 bits). Sorting ids sorts by creation time, which cursor pagination relies on.
 */
export type IdPrefix =
  | 'acq'
  | 'agt'
  | 'mer'
  | 'trm'
  | 'op'
  | 'usr'
  | 'ses'
  | 'key'
  | 'bat'
  | 'pay'
  | 're'
  | 'rev'
  | 'rph'
  | 'job'
  | 'dp'
  | 'dpe'
  | 'dpm'
  | 'dpa'
  | 'dcf'
  | 'shr'
  | 'evt'
  | 'aud'
  | 'uch'
  | 'rco'
  | 'ntf'
  | 'whe'
  | 'whd'
  | 'bkp'
  | 'jnl';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = 0;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function randomDigits(): number[] {
  const bytes = randomBytes(16);
  return Array.from(bytes, (b) => b % 32);
}

/** Monotonic within one millisecond: the random part is incremented, so ids stay strictly ordered. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let digits: number[];
  if (now <= lastTime) {
    digits = [...lastRandom];
    for (let i = digits.length - 1; i >= 0; i--) {
      if (digits[i] < 31) {
        digits[i]++;
        break;
      }
      digits[i] = 0;
    }
    now = lastTime;
  } else {
    digits = randomDigits();
    lastTime = now;
  }
  lastRandom = digits;
  return `${prefix}_${encodeTime(now)}${digits.map((d) => ALPHABET[d]).join('')}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`);
}
