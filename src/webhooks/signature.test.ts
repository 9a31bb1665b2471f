import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifyWebhookSignature } from './signature.js';

const secret = 'whsec_test_0123456789abcdefghijklmnopqrstuvwxyz';
const body = '{"id":"evt_1","type":"refund.created","createdAt":"2026-03-02T08:00:00.000Z","data":{"amount":100}}';
const now = new Date('2026-03-02T08:00:00.000Z');
const t = Math.floor(now.getTime() / 1000);

describe('webhook signatures', () => {
  it('signs t and the raw body with HMAC-SHA256 under the whole whsec_ string', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signatureHeader(secret, body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('accepts its own signature, from a string or a Buffer body', () => {
    const header = signatureHeader(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body, 300, now)).toBe(true);
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), 300, now)).toBe(true);
  });

  it('rejects a tampered body, a wrong secret and a forged signature', () => {
    const header = signatureHeader(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body.replace('100', '999'), 300, now)).toBe(false);
    expect(verifyWebhookSignature(`${secret}x`, header, body, 300, now)).toBe(false);
    expect(verifyWebhookSignature(secret, `t=${t},v1=${'0'.repeat(64)}`, body, 300, now)).toBe(false);
  });

  it('rejects a timestamp outside the tolerance, in the past or the future', () => {
    const header = signatureHeader(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body, 300, new Date(now.getTime() + 300_000))).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, 300, new Date(now.getTime() + 301_000))).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, 300, new Date(now.getTime() - 301_000))).toBe(false);
    // A replayed header with its timestamp moved forward no longer matches the signature.
    const moved = header.replace(`t=${t}`, `t=${t + 600}`);
    expect(verifyWebhookSignature(secret, moved, body, 300, new Date(now.getTime() + 600_000))).toBe(false);
  });

  it('rejects malformed or missing headers without throwing', () => {
    for (const h of [undefined, '', 'v1=abc', `t=${t}`, `t=abc,v1=${'a'.repeat(64)}`, 'garbage', `t=${t},v1=zz`]) {
      expect(verifyWebhookSignature(secret, h, body, 300, now), String(h)).toBe(false);
    }
  });

  it('accepts any one of several v1 signatures (secret rotation)', () => {
    const good = signatureHeader(secret, body, t).split(',')[1];
    expect(verifyWebhookSignature(secret, `t=${t},v1=${'1'.repeat(64)},${good}`, body, 300, now)).toBe(true);
  });
});
