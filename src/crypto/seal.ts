import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets the server must read back, at rest: webhook endpoint secrets (the merchant's server needs
 * the very secret we sign with), terminals' unlock keys, and the data of a queued message that
 * carries a one-time code. Unlike passwords they cannot be one-way hashes: each is encrypted with
 * AES-256-GCM under a subkey of the server's secret key (`purposeKey(config, purpose)`, see
 * src/secret-key.ts), which is not in the database. The owning row's id is the additional
 * authenticated data, so a ciphertext copied onto another row does not open.
 */

const VERSION = 'v1';

/** `v1.<iv>.<ciphertext>.<tag>`, base64url parts. */
export function sealSecret(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, ct, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** @throws Error when the text was not sealed with this key and `aad` (or was altered) */
export function openSecret(key: Buffer, sealed: string, aad: string): string {
  const [version, iv, ct, tag] = sealed.split('.');
  if (version !== VERSION || !iv || ct === undefined || !tag) throw new Error('not a sealed secret');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(
      'the sealed secret cannot be decrypted with this key and row (SECRET_KEY or secret.key changed, or the value was copied from another row?)',
    );
  }
}
