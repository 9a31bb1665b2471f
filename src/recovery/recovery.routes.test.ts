import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { startSmsGateway, type TestSmsGateway } from '../../test/support/sms-gateway.js';
import { type TestSmtp, useSmtpHarness } from '../../test/support/smtp-harness.js';
import { HOUR, MINUTE } from '../clock.js';
import { listOutbox } from '../notifications/notification.service.js';
import * as terminals from '../terminals/terminal.service.js';
import { challengeMatchesSerial, newChallenge } from './unlock-code.js';

const NEW = { newPassword: '480263', confirmPassword: '480263' };

async function refundWith(h: Harness, password: string) {
  const sale = await h.sale(10_000);
  return h.app.inject({
    method: 'POST',
    url: '/api/v1/refunds',
    headers: await h.operator('cashier'),
    payload: { paymentId: sale.id, amount: 100, reason: 'goods_returned', refundPassword: password },
  });
}

/** The audit rows of one action, straight from the table. */
async function lockEvents(h: Harness, action: string) {
  return h.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', action).execute();
}

describe.each(engines())('agent reset, challenge–response (%s)', (engine) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(engine);
  });
  afterEach(() => h?.close());

  const challenge = async () => {
    const r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/unlock-challenge`,
      headers: await h.operator('supervisor'),
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().challenge as string;
  };
  const codeFor = async (c: string, headers?: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/agent/unlock-codes',
      headers: headers ?? (await h.login('agent')),
      payload: { terminalId: h.ids.terminalId, challenge: c },
    });
  const reset = async (unlockCode: string, body = NEW) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/refund-password/reset`,
      headers: await h.operator('supervisor'),
      payload: { unlockCode, ...body },
    });

  it('sets a new refund password from the agent’s code; the agent never sees it; the code works once', async () => {
    const c = await challenge();
    expect(c).toMatch(/^\d{10}$/);
    const issued = await codeFor(c);
    expect(issued.statusCode, issued.body).toBe(201);
    const { unlockCode } = issued.json();
    expect(unlockCode).toMatch(/^\d{8}$/);
    expect(issued.body).not.toContain('480263');
    const r = await reset(unlockCode);
    expect(r.statusCode, r.body).toBe(204);
    h.forgetTokens();
    expect((await refundWith(h, '480263')).statusCode).toBe(201);
    expect((await refundWith(h, REFUND_PASSWORD)).json().code).toBe('refund_password_invalid');
    const again = await reset(unlockCode, { newPassword: '592714', confirmPassword: '592714' });
    expect(again.statusCode).toBe(403);
    expect(again.json().code).toBe('unlock_code_invalid');
    const outbox = await listOutbox(h.db.kysely, { limit: 20, merchantId: h.ids.merchantId });
    expect(outbox.map((n) => n.template)).toContain('refund_password_reset');
  });

  it('refuses a challenge that has expired, and still answers a fresh one', async () => {
    const c = await challenge();
    h.clock.advance(15 * MINUTE + 1000);
    const late = await codeFor(c);
    expect(late.statusCode).toBe(422);
    expect(late.json()).toMatchObject({ code: 'challenge_invalid', detail: expect.stringMatching(/expired/) });
    h.forgetTokens();
    expect((await codeFor(await challenge())).statusCode).toBe(201);
  });

  it('refuses a code after 15 minutes', async () => {
    const { unlockCode } = (await codeFor(await challenge())).json();
    h.clock.advance(15 * MINUTE + 1000);
    const r = await reset(unlockCode);
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('unlock_code_invalid');
  });

  it('still applies policy and history to the new password, and keeps the code for a second try', async () => {
    const { unlockCode } = (await codeFor(await challenge())).json();
    const reused = await reset(unlockCode, { newPassword: REFUND_PASSWORD, confirmPassword: REFUND_PASSWORD });
    expect(reused.json().code).toBe('password_reused');
    const trivial = await reset(unlockCode, { newPassword: '111111', confirmPassword: '111111' });
    expect(trivial.json().code).toBe('password_trivial');
    expect((await reset(unlockCode)).statusCode).toBe(204);
  });

  it('gives an agent of another agency 403 and audits the attempt', async () => {
    const r = await codeFor(await challenge(), await h.stranger('agent_staff'));
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('forbidden');
    const cashier = await codeFor(await challenge(), await h.operator('cashier'));
    expect(cashier.statusCode).toBe(403);
    const audit = await h.app.inject({
      method: 'GET',
      url: '/api/v1/audit-events?limit=50',
      headers: await h.login('owner'),
    });
    expect(audit.json().data.map((e: { action: string }) => e.action)).toContain('unlock_code.refused');
  });

  it('refuses a challenge of another terminal, and accepts one the terminal made offline', async () => {
    const t2 = await terminals.findTerminal(h.db.kysely, h.ids.otherTerminalId);
    // Two check digits catch 99 in 100 challenges of another terminal: take one they catch, so that
    // this test does not fail once a hundred runs.
    let foreign = newChallenge(t2?.serial ?? 'T-0002');
    while (challengeMatchesSerial('T-0001', foreign)) foreign = newChallenge(t2?.serial ?? 'T-0002');
    const wrong = await codeFor(foreign);
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().code).toBe('challenge_invalid');
    const offline = await codeFor(newChallenge('T-0001'));
    expect(offline.statusCode, offline.body).toBe(201);
    expect((await reset(offline.json().unlockCode)).statusCode).toBe(204);
  });

  it('locks the unlock code after five wrong entries, audits the lock and tells the owner', async () => {
    await codeFor(await challenge());
    for (let i = 0; i < 5; i++) expect((await reset('00000000')).json().code).toBe('unlock_code_invalid');
    const r = await reset('00000000');
    expect(r.statusCode).toBe(423);
    const locks = await lockEvents(h, 'unlock_code.locked');
    expect(locks).toHaveLength(1);
    expect(locks[0]).toMatchObject({ outcome: 'failure', object_id: h.ids.terminalId, terminal_id: h.ids.terminalId });
    const told = (await listOutbox(h.db.kysely, { limit: 20, merchantId: h.ids.merchantId })).filter(
      (n) => n.template === 'recovery_locked',
    );
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ recipient: 'owner@merchant.demo' });
    expect(told[0].body).toContain('代理商解锁码');
  });
});

describe.each(engines())('SMS / e-mail one-time code (%s)', (engine) => {
  let h: Harness;
  let smtp: TestSmtp;
  useSmtpHarness(engine, (opened) => ({ h, smtp } = opened));

  const request = async (channel: 'sms' | 'email', headers?: Record<string, string>, merchantId = h.ids.merchantId) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/merchants/${merchantId}/refund-password/recovery`,
      headers: headers ?? (await h.operator('supervisor')),
      payload: { channel },
    });
  const verify = async (code: string, body = NEW) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/recovery/verify`,
      headers: await h.operator('supervisor'),
      payload: { code, ...body },
    });
  const codeFromMail = async () => {
    await h.drain();
    const mail = smtp.to('owner@merchant.demo').at(-1);
    const code = /\b(\d{6})\b/.exec(mail?.text ?? '')?.[1];
    if (!code) throw new Error(`no code in ${mail?.text}`);
    return code;
  };

  it('sends the code over real SMTP and the code sets a new refund password once', async () => {
    const r = await request('email');
    expect(r.statusCode, r.body).toBe(202);
    const code = await codeFromMail();
    const ok = await verify(code);
    expect(ok.statusCode, ok.body).toBe(204);
    h.forgetTokens();
    expect((await refundWith(h, '480263')).statusCode).toBe(201);
    const twice = await verify(code, { newPassword: '592714', confirmPassword: '592714' });
    expect(twice.json().code).toBe('recovery_code_invalid');
  });

  it('refuses the code after 10 minutes', async () => {
    await request('email');
    const code = await codeFromMail();
    h.clock.advance(10 * MINUTE + 1000);
    expect((await verify(code)).json().code).toBe('recovery_code_invalid');
  });

  it('answers an e-mail (or SMS) request the same whether or not the merchant registered that contact', async () => {
    await h.db.kysely
      .updateTable('merchants')
      .set({ email: null, phone: null })
      .where('id', '=', h.ids.otherMerchantId)
      .execute();
    const strip = (r: {
      statusCode: number;
      headers: Record<string, unknown>;
      json: () => Record<string, unknown>;
    }) => ({
      status: r.statusCode,
      type: r.headers['content-type'],
      body: { ...r.json(), requestId: undefined },
    });
    for (const channel of ['email', 'sms'] as const) {
      const withContact = await request(channel);
      const without = await request(channel, await h.operator('supervisor', 'other'), h.ids.otherMerchantId);
      expect(without.statusCode, channel).toBe(202);
      expect(strip(without), channel).toEqual(strip(withContact));
    }
    await h.drain();
    expect(smtp.to('owner@other.demo')).toHaveLength(0);
    const queued = await h.db.kysely
      .selectFrom('notifications')
      .select('id')
      .where('merchant_id', '=', h.ids.otherMerchantId)
      .execute();
    expect(queued).toHaveLength(0);
  });

  it('does not reset the failure count with a new code, and locks after five wrong codes', async () => {
    await request('email');
    for (let i = 0; i < 3; i++) expect((await verify('000000')).json().code).toBe('recovery_code_invalid');
    await request('email');
    const code = await codeFromMail();
    for (let i = 0; i < 2; i++) expect((await verify('000000')).json().code).toBe('recovery_code_invalid');
    const locked = await verify(code);
    expect(locked.statusCode).toBe(423);
  });

  it('audits the lock of the one-time code and e-mails the owner about it', async () => {
    await request('sms');
    for (let i = 0; i < 5; i++) expect((await verify('000000')).json().code).toBe('recovery_code_invalid');
    expect((await verify('000000')).statusCode).toBe(423);
    const locks = await lockEvents(h, 'recovery_code.locked');
    expect(locks).toHaveLength(1);
    expect(locks[0]).toMatchObject({ outcome: 'failure', object_id: h.ids.merchantId });
    await h.drain();
    const mails = smtp.to('owner@merchant.demo').filter((m) => m.subject === 'RefundDesk：退款密码找回已锁定');
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain('短信/邮件验证码');
  });

  it('sends at most three codes an hour', async () => {
    for (let i = 0; i < 3; i++) expect((await request('sms')).statusCode).toBe(202);
    const fourth = await request('sms');
    expect(fourth.statusCode).toBe(429);
    expect(fourth.json().code).toBe('rate_limited');
    h.clock.advance(HOUR + 1000);
    h.forgetTokens(); // the sessions idled out meanwhile
    expect((await request('sms')).statusCode).toBe(202);
  });

  it('sends at most three codes an hour to a burst of concurrent requests', async () => {
    const headers = await h.operator('supervisor');
    const answers = await Promise.all(Array.from({ length: 8 }, () => request('sms', headers)));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([202, 202, 202, 429, 429, 429, 429, 429]);
    const codes = await h.db.kysely
      .selectFrom('recovery_codes')
      .select('id')
      .where('merchant_id', '=', h.ids.merchantId)
      .execute();
    expect(codes).toHaveLength(3);
  });

  it('lets only the merchant’s own supervisor or owner ask', async () => {
    expect((await request('email', await h.operator('cashier'))).statusCode).toBe(403);
    expect((await request('email', await h.login('otherOwner'))).statusCode).toBe(404);
    expect((await request('email', await h.login('agent'))).statusCode).toBe(403);
  });
});

describe.each(engines())('SMS one-time code through the HTTP gateway, end to end (%s)', (engine) => {
  let h: Harness;
  let gateway: TestSmsGateway;
  beforeAll(async () => {
    gateway = await startSmsGateway();
  });
  afterAll(() => gateway?.close());
  beforeEach(async () => {
    h = await openHarness(engine, { smsProviderUrl: gateway.url, smsProviderKey: 'sk_loopback' });
    gateway.requests.length = 0;
  });
  afterEach(() => h?.close());

  const PHONE = '13800138000';
  const request = async () =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/recovery`,
      headers: await h.operator('supervisor'),
      payload: { channel: 'sms' },
    });
  const verify = async (code: string) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/recovery/verify`,
      headers: await h.operator('supervisor'),
      payload: { code, ...NEW },
    });
  const codeFromSms = async () => {
    await h.drain();
    const text = gateway.to(PHONE).at(-1) ?? '';
    const code = /(\d{6})/.exec(text)?.[1];
    if (!code) throw new Error(`no code in ${text}`);
    return code;
  };

  it('texts the code to the registered phone through the gateway, and the code sets a new refund password', async () => {
    expect((await request()).statusCode).toBe(202);
    const code = await codeFromSms();
    expect(gateway.requests[0]).toMatchObject({ auth: 'Bearer sk_loopback', body: { to: PHONE } });
    expect(gateway.to(PHONE)[0]).toContain('10 分钟内有效');
    const stored = JSON.stringify(await h.db.kysely.selectFrom('notifications').selectAll().execute());
    expect(stored).not.toContain(code);
    const ok = await verify(code);
    expect(ok.statusCode, ok.body).toBe(204);
    h.forgetTokens();
    expect((await refundWith(h, '480263')).statusCode).toBe(201);
    expect((await verify(code)).json().code).toBe('recovery_code_invalid');
  });

  it('refuses an SMS code after 10 minutes, and the password stays as it was', async () => {
    expect((await request()).statusCode).toBe(202);
    const code = await codeFromSms();
    h.clock.advance(10 * MINUTE + 1000);
    const late = await verify(code);
    expect(late.statusCode).toBe(403);
    expect(late.json().code).toBe('recovery_code_invalid');
    expect((await refundWith(h, REFUND_PASSWORD)).statusCode).toBe(201);
  });
});
