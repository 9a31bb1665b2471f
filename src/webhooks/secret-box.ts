import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { isPostgresUrl } from '../db/connect.js';

/**
 * Endpoint secrets at rest. The merchant's server needs the very secret we sign with, so unlike
 * passwords it cannot be a one-way hash: it is encrypted with AES-256-GCM under a key that is not
 * in the database (a stolen database or backup alone does not reveal it). The endpoint id is the
 * additional authenticated data, so a ciphertext copied onto another endpoint's row does not open.
 *
 * The key: WEBHOOK_SECRET_KEY (32 bytes, hex or base64) when set. Otherwise a random key kept in
 * `webhook.key` next to the SQLite file (or `./data/webhook.key` for PostgreSQL), created on first
 * use with mode 0600. Back it up with the database: without it the secrets cannot be read and the
 * merchants must create new endpoints. Several processes on different machines need the env var.
 */

const VERSION = 'v1';

/** @throws Error when the text is not 32 bytes in hex (64 characters) or base64 */
export function parseWebhookKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(t)
      ? Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
      : undefined;
  if (key?.length !== 32) throw new Error('WEBHOOK_SECRET_KEY must be 32 bytes, as 64 hex characters or base64');
  return key;
}

/** Where the generated key lives when WEBHOOK_SECRET_KEY is not set. */
export function webhookKeyFile(databaseUrl: string): string {
  if (isPostgresUrl(databaseUrl)) return resolve('data', 'webhook.key');
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  return file === ':memory:' ? resolve('data', 'webhook.key') : join(dirname(resolve(file)), 'webhook.key');
}

/** Reads the key file, or creates it (0600) with a fresh random key when there is none. */
export function loadOrCreateKeyFile(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  try {
    return parseWebhookKey(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${path} does not hold a 32-byte hex key; restore it from a backup or set WEBHOOK_SECRET_KEY`);
  }
}

const keys = new Map<string, Buffer>();

/** The encryption key for this deployment (cached per source). */
export function webhookKey(config: Pick<Config, 'databaseUrl' | 'webhookSecretKey'>): Buffer {
  const source = config.webhookSecretKey
    ? `env:${config.webhookSecretKey}`
    : `file:${webhookKeyFile(config.databaseUrl)}`;
  let key = keys.get(source);
  if (!key) {
    key = config.webhookSecretKey
      ? parseWebhookKey(config.webhookSecretKey)
      : loadOrCreateKeyFile(webhookKeyFile(config.databaseUrl));
    keys.set(source, key);
  }
  return key;
}

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
  if (version !== VERSION || !iv || ct === undefined || !tag) throw new Error('not a sealed webhook secret');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(
      'the webhook secret cannot be decrypted with this key (WEBHOOK_SECRET_KEY or webhook.key changed?)',
    );
  }
}
