import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadOrCreateKeyFile,
  openSecret,
  parseWebhookKey,
  sealSecret,
  webhookKey,
  webhookKeyFile,
} from './secret-box.js';

const dir = mkdtempSync(join(tmpdir(), 'refunddesk-webhook-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('webhook secrets at rest', () => {
  const key = randomBytes(32);

  it('seals with AES-256-GCM and opens with the same key and endpoint id only', () => {
    const sealed = sealSecret(key, 'whsec_abc', 'whe_1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('whsec_abc');
    expect(sealSecret(key, 'whsec_abc', 'whe_1')).not.toBe(sealed);
    expect(openSecret(key, sealed, 'whe_1')).toBe('whsec_abc');
    expect(() => openSecret(key, sealed, 'whe_2')).toThrow(/cannot be decrypted/);
    expect(() => openSecret(randomBytes(32), sealed, 'whe_1')).toThrow(/cannot be decrypted/);
    const [v, iv, ct, tag] = sealed.split('.');
    const flipped = Buffer.from(ct, 'base64url');
    flipped[0] ^= 1;
    expect(() => openSecret(key, [v, iv, flipped.toString('base64url'), tag].join('.'), 'whe_1')).toThrow();
    expect(() => openSecret(key, [v, iv, ct, tag.slice(0, 8)].join('.'), 'whe_1')).toThrow();
    expect(() => openSecret(key, 'whsec_plain', 'whe_1')).toThrow(/not a sealed/);
  });

  it('reads WEBHOOK_SECRET_KEY as 32 bytes of hex or base64, and refuses anything else', () => {
    expect(parseWebhookKey(key.toString('hex'))).toEqual(key);
    expect(parseWebhookKey(key.toString('base64'))).toEqual(key);
    expect(parseWebhookKey(key.toString('base64url'))).toEqual(key);
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64')]) {
      expect(() => parseWebhookKey(bad)).toThrow(/32 bytes/);
    }
  });

  it('keeps the generated key next to the SQLite file, or in ./data for PostgreSQL', () => {
    expect(webhookKeyFile('/srv/rd/refunddesk.db')).toBe('/srv/rd/webhook.key');
    expect(webhookKeyFile('sqlite:///srv/rd/refunddesk.db')).toBe('/srv/rd/webhook.key');
    expect(webhookKeyFile('postgres://db/rd')).toBe(resolve('data', 'webhook.key'));
  });

  it('creates the key file once, readable by its owner only, and reuses it', () => {
    const path = join(dir, 'nested', 'webhook.key');
    const first = loadOrCreateKeyFile(path);
    expect(first).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreateKeyFile(path)).toEqual(first);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.toString('hex'));
    expect(webhookKey({ databaseUrl: join(dir, 'nested', 'x.db') })).toEqual(first);
  });

  it('prefers WEBHOOK_SECRET_KEY over the file', () => {
    expect(webhookKey({ databaseUrl: join(dir, 'x.db'), webhookSecretKey: key.toString('hex') })).toEqual(key);
  });
});
