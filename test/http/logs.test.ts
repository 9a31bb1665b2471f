import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listOutbox, revealLocalNotification } from '../../src/notifications/notification.service.js';
import { DEMO } from '../../src/seed/demo.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';

/** Every log line the app writes, in memory. */
class Capture extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void) {
    this.chunks.push(chunk.toString());
    done();
  }
  get text() {
    return this.chunks.join('');
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

function luhnValid(digits: string): boolean {
  let total = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return total % 10 === 0;
}

/**
 * Runs of 13–19 digits (spaces or dashes allowed between them, as printed on cards) that pass Luhn.
 * Digits glued to a dot are the fraction or integer part of a number (a response time), not a PAN.
 */
function cardNumbersIn(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d.])/g)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) found.push(m[0]);
  }
  return found;
}

/** A short numeric secret (a PIN) counts only as a whole token, not inside a request id. */
function containsSecret(text: string, secret: string): boolean {
  if (secret.length >= 8) return text.includes(secret);
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![0-9A-Za-z.])${escaped}(?![0-9A-Za-z])`).test(text);
}

/** Log text without the fields that are numbers by nature (epoch ms, timings, pid). */
function scannable(c: Capture): string {
  return c
    .lines()
    .map(({ time: _t, responseTime: _r, pid: _p, hostname: _h, ...rest }) => JSON.stringify(rest))
    .join('\n');
}

const token = (h: Record<string, string>) => (h.authorization ?? '').replace(/^Bearer /, '');

describe('the log scanners themselves', () => {
  it('find a card number, spaced or not, and ignore numbers that are not one', () => {
    expect(cardNumbersIn('{"msg":"pan 4111111111111111"}')).toHaveLength(1);
    expect(cardNumbersIn('{"card":"4111 1111 1111 1111"}')).toHaveLength(1);
    expect(cardNumbersIn('{"card":"6212345678901232"}')).toHaveLength(1);
    expect(cardNumbersIn('{"card":"4111111111111112"}')).toEqual([]);
    expect(cardNumbersIn('{"responseTime":1.4111111111111111}')).toEqual([]);
    expect(cardNumbersIn('{"reference":"123456789012"}')).toEqual([]);
  });

  it('find a PIN as a value but not inside an id', () => {
    expect(containsSecret('{"refundPassword":"731946"}', '731946')).toBe(true);
    expect(containsSecret('{"reqId":"req_a731946b"}', '731946')).toBe(false);
    expect(containsSecret('{"password":"Owner-Demo-2026!"}', 'Owner-Demo-2026!')).toBe(true);
  });
});

describe.each(engines())('structured logs (%s)', (engine) => {
  const capture = new Capture();
  let h: Harness;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    h = await openHarness(engine, {}, capture);
    const { app, ids } = h;
    const json = { 'content-type': 'application/json' };

    // Console and operator logins (their passwords and the tokens they return).
    for (const who of ['owner', 'reviewer', 'agent', 'admin'] as const)
      secrets[`${who} token`] = token(await h.login(who));
    const cashier = await h.operator('cashier');
    const supervisor = await h.operator('supervisor');
    secrets['cashier token'] = token(cashier);
    secrets['supervisor token'] = token(supervisor);
    Object.assign(secrets, {
      'owner password': DEMO.owner.password,
      'reviewer password': DEMO.reviewer.password,
      'agent password': DEMO.agent.password,
      'admin password': DEMO.admin.password,
      'cashier PIN': DEMO.terminal.cashier.password,
      'supervisor PIN': DEMO.terminal.supervisor.password,
      'refund password': REFUND_PASSWORD,
      'card number': '4111111111111111',
      'UnionPay card number': '6212345678901232',
    });

    // Sales, one with the card number spaced as printed, a refund and a void with the refund password.
    const sale = await h.sale(10_000, { card: '4111111111111111' });
    await h.sale(2_000, { card: '6212345678901232' });
    const spaced = await app.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: { ...cashier, ...json },
      payload: { amount: 300, card: { number: '4111 1111 1111 1111' } },
    });
    expect(spaced.statusCode, spaced.body).toBe(201);
    const refund = await app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: { ...cashier, 'idempotency-key': 'log-test-1' },
      payload: { paymentId: sale.id, amount: 1_000, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    expect(refund.statusCode, refund.body).toBe(201);
    const voided = await app.inject({
      method: 'POST',
      url: `/api/v1/payments/${spaced.json().id}/void`,
      headers: supervisor,
      payload: { refundPassword: REFUND_PASSWORD },
    });
    expect(voided.statusCode, voided.body).toBe(200);

    // An API key: created (its secret is in that response body), then used.
    const key = await h.apiKey(['read', 'refunds:write']);
    secrets['API key secret'] = token(key);
    expect((await app.inject({ method: 'GET', url: '/api/v1/payments', headers: key })).statusCode).toBe(200);
    const byKey = await app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: key,
      payload: { paymentId: sale.id, amount: 500, reason: 'duplicate' },
    });
    expect(byKey.statusCode, byKey.body).toBe(201);

    // Wrong logins, a wrong refund password, a malformed body that carries a secret.
    secrets['wrong console password'] = 'Not-The-Owner-Pass-42!';
    secrets['wrong operator PIN'] = '97531';
    secrets['wrong refund password'] = '864209';
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: DEMO.owner.email, password: secrets['wrong console password'] },
    });
    expect(wrong.statusCode).toBe(401);
    const wrongOp = await app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${ids.terminalId}/login`,
      payload: { operator: '01', password: secrets['wrong operator PIN'] },
    });
    expect(wrongOp.statusCode).toBe(401);
    const wrongRefund = await app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: cashier,
      payload: { paymentId: sale.id, amount: 1, reason: 'other', refundPassword: secrets['wrong refund password'] },
    });
    expect(wrongRefund.statusCode).toBe(403);
    const broken = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: `{"email":"${DEMO.admin.email}","password":"${DEMO.admin.password}"`,
    });
    expect(broken.statusCode).toBe(400);

    // Secrets in the query string: a tracking secret, and a token pasted into a URL.
    secrets['query secret'] = 'trk-Q7f9xK2mV8pL3nR6';
    secrets['query token'] = secrets['owner token'];
    for (const url of [
      `/api/v1/public/refunds/${refund.json().id}?secret=${secrets['query secret']}`,
      `/healthz?secret=${secrets['query secret']}`,
      `/api/v1/payments?access_token=${secrets['query token']}`,
      `/api/v1/payments/${sale.id}?card=4111111111111111&pin=${REFUND_PASSWORD}`,
    ]) {
      const r = await app.inject({ method: 'GET', url, headers: cashier });
      expect(r.statusCode, url).toBeLessThan(500);
    }
    // A bad URL goes through Fastify's early error path: its log must not leak the query either.
    await app.inject({ method: 'GET', url: `/api/v1/payments/%E0%A4%A?secret=${secrets['query secret']}` });

    // The refund password's life: a change, a recovery with a one-time code, an agent's reset. Each
    // ends every session of the merchant's people, so each step logs in afresh.
    secrets['new refund password (change)'] = '480263';
    const changed = await app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${ids.merchantId}/refund-password`,
      headers: supervisor,
      payload: { currentPassword: REFUND_PASSWORD, newPassword: '480263', confirmPassword: '480263' },
    });
    expect(changed.statusCode, changed.body).toBe(204);
    h.forgetTokens();
    const asked = await app.inject({
      method: 'POST',
      url: `/api/v1/merchants/${ids.merchantId}/refund-password/recovery`,
      headers: await h.operator('supervisor'),
      payload: { channel: 'email' },
    });
    expect(asked.statusCode, asked.body).toBe(202);
    await h.drain();
    const [sent] = await listOutbox(h.db.kysely, { limit: 1, merchantId: ids.merchantId });
    const code = /\b(\d{6})\b/.exec((await revealLocalNotification(h.db.kysely, h.ctx, sent.id)).body)?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    secrets['recovery code'] = code;
    secrets['new refund password (recovery)'] = '592714';
    const verified = await app.inject({
      method: 'POST',
      url: `/api/v1/merchants/${ids.merchantId}/refund-password/recovery/verify`,
      headers: await h.operator('supervisor'),
      payload: { code, newPassword: '592714', confirmPassword: '592714' },
    });
    expect(verified.statusCode, verified.body).toBe(204);
    h.forgetTokens();
    const challenge = await app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${ids.terminalId}/unlock-challenge`,
      headers: await h.operator('supervisor'),
    });
    expect(challenge.statusCode, challenge.body).toBe(201);
    const issued = await app.inject({
      method: 'POST',
      url: '/api/v1/agent/unlock-codes',
      headers: await h.login('agent'),
      payload: { terminalId: ids.terminalId, challenge: challenge.json().challenge },
    });
    expect(issued.statusCode, issued.body).toBe(201);
    secrets['unlock code'] = issued.json().unlockCode;
    secrets['new refund password (agent)'] = '603825';
    const reset = await app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${ids.terminalId}/refund-password/reset`,
      headers: await h.operator('supervisor'),
      payload: { unlockCode: issued.json().unlockCode, newPassword: '603825', confirmPassword: '603825' },
    });
    expect(reset.statusCode, reset.body).toBe(204);
    await h.drain();
  });
  afterAll(() => h?.close());

  it('captured the requests (so the checks below can fail)', () => {
    const lines = capture.lines();
    expect(lines.length).toBeGreaterThan(30);
    const text = capture.text;
    expect(text).toContain('/api/v1/auth/login');
    expect(text).toContain('/api/v1/refunds');
    expect(text).toContain('/healthz');
    expect(lines.filter((l) => l.msg === 'request completed').length).toBeGreaterThan(15);
  });

  it('never writes a password, PIN, refund password, token or API key secret', () => {
    const text = scannable(capture);
    expect(Object.keys(secrets).length).toBeGreaterThanOrEqual(25);
    const leaked = Object.entries(secrets)
      .filter(([, value]) => containsSecret(text, value))
      .map(([name]) => name);
    expect(leaked).toEqual([]);
  });

  it('never writes a card number', () => {
    expect(cardNumbersIn(scannable(capture))).toEqual([]);
    expect(capture.text).not.toContain('4111111111111111');
    expect(capture.text).not.toContain('4111 1111 1111 1111');
  });

  it('never writes a query string or request headers', () => {
    const text = capture.text;
    expect(text).not.toMatch(/[?&](secret|access_token|card|pin)=/);
    expect(text.toLowerCase()).not.toContain('authorization');
    expect(text.toLowerCase()).not.toContain('bearer');
  });
});
