import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from './config.js';
import { isPostgresUrl } from './db/connect.js';

/**
 * The server's secret key: the one secret that is not in the database, so that a stolen database
 * or backup alone reveals neither the webhook secrets, the terminals' unlock keys and the one-time
 * codes of queued messages (all encrypted under it) nor a card number (idempotency fingerprints
 * are keyed hashes under it, as PCI DSS 3.5.1.1 asks of hashed PANs).
 *
 * SECRET_KEY (32 bytes, hex or base64) when set. Otherwise a random key kept in `secret.key` next
 * to the SQLite file (or `./data/secret.key` for PostgreSQL), created on first use with mode 0600.
 * Back it up with the database. Several processes on different machines need the env var.
 *
 * Each use gets its own subkey (HKDF-SHA256 with the purpose as info), so no two uses share a key.
 */
export type KeyPurpose =
  | 'webhook-secrets'
  | 'idempotency-fingerprints'
  | 'tracking-secrets'
  | 'terminal-unlock-keys'
  | 'notification-render-data'
  | 'unknown-logins';

/** @throws Error when the text is not 32 bytes in hex (64 characters) or base64 */
export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(t)
      ? Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
      : undefined;
  if (key?.length !== 32) throw new Error('SECRET_KEY must be 32 bytes, as 64 hex characters or base64');
  return key;
}

/** Where the generated key lives when SECRET_KEY is not set. */
export function secretKeyFile(databaseUrl: string): string {
  if (isPostgresUrl(databaseUrl)) return resolve('data', 'secret.key');
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  return file === ':memory:' ? resolve('data', 'secret.key') : join(dirname(resolve(file)), 'secret.key');
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
    return parseSecretKey(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${path} does not hold a 32-byte hex key; restore it from a backup or set SECRET_KEY`);
  }
}

export type KeyConfig = Pick<Config, 'databaseUrl' | 'secretKey'>;
const keys = new Map<string, Buffer>();

/** The subkey for one purpose (cached per key source). */
export function purposeKey(config: KeyConfig, purpose: KeyPurpose): Buffer {
  const source = config.secretKey ? `env:${config.secretKey}` : `file:${secretKeyFile(config.databaseUrl)}`;
  const id = `${source}#${purpose}`;
  let key = keys.get(id);
  if (!key) {
    const master = config.secretKey
      ? parseSecretKey(config.secretKey)
      : loadOrCreateKeyFile(secretKeyFile(config.databaseUrl));
    key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `refunddesk:${purpose}`, 32));
    keys.set(id, key);
  }
  return key;
}
