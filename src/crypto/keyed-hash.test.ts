import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyedHash } from './keyed-hash.js';
import { sha256Hex } from './sha256.js';

const SECRET = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const config = { databaseUrl: ':memory:', secretKey: SECRET };

describe('hashes: one home for SHA-256 and the keyed hashes', () => {
  it('keys an HMAC-SHA256 with the HKDF subkey of its purpose, as stored values were made', () => {
    const subkey = Buffer.from(
      hkdfSync('sha256', Buffer.from(SECRET, 'hex'), Buffer.alloc(0), 'refunddesk:idempotency-fingerprints', 32),
    );
    const expected = createHmac('sha256', subkey).update('{"a":1}').digest('hex');
    expect(keyedHash(config, 'idempotency-fingerprints', '{"a":1}').toString('hex')).toBe(expected);
    expect(keyedHash(config, 'unknown-logins', '{"a":1}').toString('hex')).not.toBe(expected);
  });

  it('hashes UTF-8 text to the SHA-256 test vectors', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // The UTF-8 bytes of 退款 (e9 80 80 e6 ac be), hashed by `sha256sum`.
    expect(sha256Hex('退款')).toBe('f1c91e1d205cdacdf13492c2abfdc37b648bc8e5cd900a8bcdb8f8a6e6eef894');
  });
});
