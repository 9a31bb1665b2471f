import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateKeyFile, parseSecretKey, purposeKey, secretKeyFile } from './secret-key.js';

const dir = mkdtempSync(join(tmpdir(), 'refunddesk-secret-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the server’s secret key', () => {
  const key = randomBytes(32);

  it('reads SECRET_KEY as 32 bytes of hex or base64, and refuses anything else', () => {
    expect(parseSecretKey(key.toString('hex'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64url'))).toEqual(key);
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64')]) {
      expect(() => parseSecretKey(bad)).toThrow(/32 bytes/);
    }
  });

  it('keeps the generated key next to the SQLite file, or in ./data for PostgreSQL', () => {
    expect(secretKeyFile('/srv/rd/refunddesk.db')).toBe('/srv/rd/secret.key');
    expect(secretKeyFile('sqlite:///srv/rd/refunddesk.db')).toBe('/srv/rd/secret.key');
    expect(secretKeyFile('postgres://db/rd')).toBe(resolve('data', 'secret.key'));
  });

  it('creates the key file once, readable by its owner only, and reuses it', () => {
    const path = join(dir, 'nested', 'secret.key');
    const first = loadOrCreateKeyFile(path);
    expect(first).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreateKeyFile(path)).toEqual(first);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.toString('hex'));
    const fromFile = purposeKey({ databaseUrl: join(dir, 'nested', 'x.db') }, 'webhook-secrets');
    expect(fromFile).toEqual(
      purposeKey({ databaseUrl: 'unused', secretKey: first.toString('hex') }, 'webhook-secrets'),
    );
  });

  it('prefers SECRET_KEY over the file, and gives each purpose its own subkey, never the key itself', () => {
    const config = { databaseUrl: join(dir, 'x.db'), secretKey: key.toString('hex') };
    const webhooks = purposeKey(config, 'webhook-secrets');
    const fingerprints = purposeKey(config, 'idempotency-fingerprints');
    expect(webhooks).toHaveLength(32);
    expect(webhooks).not.toEqual(key);
    expect(webhooks).not.toEqual(fingerprints);
    expect(purposeKey({ ...config, secretKey: randomBytes(32).toString('hex') }, 'webhook-secrets')).not.toEqual(
      webhooks,
    );
  });
});
