import { createHmac } from 'node:crypto';
import { type KeyConfig, type KeyPurpose, purposeKey } from '../secret-key.js';

/**
 * A keyed hash: HMAC-SHA256 of `value` under the server secret key's subkey for `purpose`
 * (`purposeKey`, HKDF; the key is not in the database). For values a plain hash would give away to
 * whoever holds the database: a card number in an idempotency fingerprint (10^5 candidates between
 * a stored BIN and last 4), a customer's tracking secret derived from an Idempotency-Key, an e-mail
 * typed at login. Returns the raw digest; each caller keeps its own encoding (stored values depend
 * on it).
 */
export function keyedHash(config: KeyConfig, purpose: KeyPurpose, value: string): Buffer {
  return createHmac('sha256', purposeKey(config, purpose)).update(value).digest();
}
