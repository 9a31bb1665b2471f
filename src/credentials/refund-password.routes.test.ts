import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { type TestSmtp, useSmtpHarness } from '../../test/support/smtp-harness.js';
import { systemActor } from '../auth/actor.js';
import { DAY, MINUTE } from '../clock.js';
import { setPasswordPolicy } from './policy.service.js';

describe.each(engines())('changing the refund password (%s)', (engine) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(engine);
  });
  afterEach(() => h?.close());

  const change = async (headers: Record<string, string>, body: Record<string, string>, merchantId = h.ids.merchantId) =>
    h.app.inject({ method: 'PUT', url: `/api/v1/merchants/${merchantId}/refund-password`, headers, payload: body });

  const refundWith = async (password: string, amount = 100) => {
    const sale = await h.sale(10_000);
    return h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: sale.id, amount, reason: 'goods_returned', refundPassword: password },
    });
  };

  it('changes it with the current one, ends every session, and the old one stops working at once', async () => {
    const supervisor = await h.operator('supervisor');
    const owner = await h.login('owner');
    const cashier = await h.operator('cashier');
    const r = await change(supervisor, {
      currentPassword: REFUND_PASSWORD,
      newPassword: '480263',
      confirmPassword: '480263',
    });
    expect(r.statusCode, r.body).toBe(204);
    for (const headers of [supervisor, owner, cashier]) {
      const me = await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers });
      expect(me.statusCode).toBe(401);
    }
    // fresh logins: the old password is refused, the new one works
    h.forgetTokens();
    const old = await refundWith(REFUND_PASSWORD);
    expect(old.json().code).toBe('refund_password_invalid');
    expect((await refundWith('480263')).statusCode).toBe(201);
  });

  it('refuses a wrong current password with 403 refund_password_invalid and changes nothing', async () => {
    const r = await change(await h.operator('supervisor'), {
      currentPassword: '999991',
      newPassword: '480263',
      confirmPassword: '480263',
    });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('refund_password_invalid');
    expect((await refundWith(REFUND_PASSWORD)).statusCode).toBe(201);
  });

  it('refuses a confirmation that differs, trivial and common PINs, each with its code', async () => {
    const headers = await h.login('owner');
    const cases: Array<[string, string, string]> = [
      ['480263', '480264', 'password_confirmation_mismatch'],
      ['111111', '111111', 'password_trivial'],
      ['123456', '123456', 'password_trivial'],
      ['654321', '654321', 'password_trivial'],
      ['520131', '520131', 'password_common'],
      ['12345', '12345', 'password_too_short'],
      ['48a263', '48a263', 'password_not_digits'],
      ['1380013800012', '1380013800012', 'password_too_long'],
      ['138001', '138001', 'password_personal_info'],
    ];
    for (const [newPassword, confirmPassword, code] of cases) {
      const r = await change(headers, { currentPassword: REFUND_PASSWORD, newPassword, confirmPassword });
      expect(r.statusCode, `${newPassword}: ${r.body}`).toBe(422);
      expect(r.json().code).toBe(code);
    }
    expect((await refundWith(REFUND_PASSWORD)).statusCode).toBe(201);
  });

  it('refuses each of the last five passwords and accepts the sixth-newest', async () => {
    const sequence = ['480263', '592714', '603825', '714936', '825047'];
    let current: string = REFUND_PASSWORD;
    for (const next of sequence) {
      const r = await change(await h.login('owner'), {
        currentPassword: current,
        newPassword: next,
        confirmPassword: next,
      });
      expect(r.statusCode, r.body).toBe(204);
      current = next;
      h.forgetTokens();
    }
    // the last five are the five just set (the current one included); the demo password has dropped out
    for (const reused of sequence) {
      const r = await change(await h.login('owner'), {
        currentPassword: current,
        newPassword: reused,
        confirmPassword: reused,
      });
      expect(r.statusCode).toBe(422);
      expect(r.json().code).toBe('password_reused');
    }
    const ok = await change(await h.login('owner'), {
      currentPassword: current,
      newPassword: REFUND_PASSWORD,
      confirmPassword: REFUND_PASSWORD,
    });
    expect(ok.statusCode, ok.body).toBe(204);
  });

  it('lets neither a cashier nor another merchant’s owner change it', async () => {
    const body = { currentPassword: REFUND_PASSWORD, newPassword: '480263', confirmPassword: '480263' };
    expect((await change(await h.operator('cashier'), body)).statusCode).toBe(403);
    const other = await change(await h.login('otherOwner'), body);
    expect(other.statusCode).toBe(404);
    expect((await change(await h.login('reviewer'), body)).statusCode).toBe(403);
    expect((await refundWith(REFUND_PASSWORD)).statusCode).toBe(201);
  });

  it('locks after five wrong refund passwords for 30 minutes, then unlocks; a success resets the count', async () => {
    for (let i = 0; i < 4; i++) expect((await refundWith('000001')).json().code).toBe('refund_password_invalid');
    expect((await refundWith(REFUND_PASSWORD)).statusCode).toBe(201); // resets the count
    // Each wrong entry tells the tries left (what the terminal shows: 密码错误, 还可尝试 n 次) …
    for (let left = 4; left >= 1; left--) {
      const wrong = await refundWith('000001');
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json()).toMatchObject({ code: 'refund_password_invalid', attemptsLeft: left });
    }
    // … and the fifth, which locks, answers 423 with unlockAt at once.
    const locking = await refundWith('000001');
    expect(locking.statusCode).toBe(423);
    expect(locking.json()).toMatchObject({ code: 'locked', attemptsLeft: 0 });
    expect(Date.parse(locking.json().unlockAt)).toBe(h.clock.now().getTime() + 30 * MINUTE);
    const status = await h.app.inject({
      method: 'GET',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/status`,
      headers: await h.login('owner'),
    });
    expect(status.json()).toMatchObject({ locked: true, unlockAt: locking.json().unlockAt, attemptsLeft: 0 });
    const locked = await refundWith(REFUND_PASSWORD);
    expect(locked.statusCode).toBe(423);
    expect(locked.json().code).toBe('locked');
    expect(Date.parse(locked.json().unlockAt)).toBe(h.clock.now().getTime() + 30 * MINUTE);
    h.clock.advance(29 * MINUTE);
    expect((await refundWith(REFUND_PASSWORD)).statusCode).toBe(423);
    h.clock.advance(2 * MINUTE);
    expect((await refundWith(REFUND_PASSWORD)).statusCode).toBe(201);
  });

  it('checks a burst of concurrent guesses one by one, so it cannot get past the limit', async () => {
    await h.operator('cashier');
    const attempts = await Promise.all(Array.from({ length: 20 }, () => refundWith('000001')));
    const codes = attempts.map((r) => r.json().code);
    expect(codes.filter((c) => c === 'refund_password_invalid').length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 'locked').length).toBeGreaterThanOrEqual(15);
  });

  it('reminds from 14 days before expiry and refuses an expired refund password until changed', async () => {
    h.clock.advance(76 * DAY);
    const terminalLogin = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/login`,
      payload: { operator: '00', password: '519370' },
    });
    expect(terminalLogin.json().refundPasswordReminder).toMatchObject({ daysLeft: 14, expired: false });
    h.clock.advance(15 * DAY);
    h.forgetTokens();
    const expired = await refundWith(REFUND_PASSWORD);
    expect(expired.statusCode).toBe(403);
    expect(expired.json().code).toBe('refund_password_expired');
    const r = await change(await h.operator('supervisor'), {
      currentPassword: REFUND_PASSWORD,
      newPassword: '480263',
      confirmPassword: '480263',
    });
    expect(r.statusCode, r.body).toBe(204);
    h.forgetTokens();
    expect((await refundWith('480263')).statusCode).toBe(201);
  });

  it('counts a wrong current password on a change toward the lockout', async () => {
    const supervisor = await h.operator('supervisor');
    const wrong = { currentPassword: '999991', newPassword: '480263', confirmPassword: '480263' };
    for (let i = 0; i < 4; i++) expect((await change(supervisor, wrong)).json().code).toBe('refund_password_invalid');
    // Five failures: four on the change, one at a refund, which locks. Now even the right password is refused.
    expect((await refundWith('000001')).json().code).toBe('locked');
    const locked = await change(supervisor, { ...wrong, currentPassword: REFUND_PASSWORD });
    expect(locked.statusCode).toBe(423);
    expect(locked.json().code).toBe('locked');
    expect((await refundWith(REFUND_PASSWORD)).statusCode).toBe(423);
  });

  it('lets a refund that passed the password check before the change run to success', async () => {
    const sale = await h.sale(10_000, { settled: true });
    const refund = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: sale.id, amount: 2_500, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    expect(refund.statusCode, refund.body).toBe(201);
    expect(refund.json().status).not.toBe('succeeded');
    const changed = await change(await h.login('owner'), {
      currentPassword: REFUND_PASSWORD,
      newPassword: '480263',
      confirmPassword: '480263',
    });
    expect(changed.statusCode, changed.body).toBe(204);
    await h.drain();
    h.forgetTokens();
    const after = await h.app.inject({
      method: 'GET',
      url: `/api/v1/refunds/${refund.json().id}`,
      headers: await h.login('owner'),
    });
    expect(after.json()).toMatchObject({ status: 'succeeded', amount: 2_500 });
  });

  it('stores the refund password as argon2id with m=7168, t=5, p=1 (OWASP), never in clear', async () => {
    const hashOf = async () =>
      (
        await h.db.kysely
          .selectFrom('merchants')
          .select('refund_password_hash')
          .where('id', '=', h.ids.merchantId)
          .executeTakeFirstOrThrow()
      ).refund_password_hash as string;
    const seeded = await hashOf();
    expect(seeded.startsWith('$argon2id$v=19$m=7168,t=5,p=1$')).toBe(true);
    const r = await change(await h.login('owner'), {
      currentPassword: REFUND_PASSWORD,
      newPassword: '480263',
      confirmPassword: '480263',
    });
    expect(r.statusCode).toBe(204);
    const hash = await hashOf();
    expect(hash.startsWith('$argon2id$v=19$m=7168,t=5,p=1$')).toBe(true);
    expect(hash).not.toBe(seeded);
    expect(hash).not.toContain('480263');
    const history = await h.db.kysely.selectFrom('secret_history').select('hash').execute();
    for (const { hash: old } of history) expect(old.startsWith('$argon2id$v=19$m=7168,t=5,p=1$')).toBe(true);
  });

  it('locks after three failures when the merchant’s policy says three', async () => {
    const owner = {
      ...systemActor,
      kind: 'user' as const,
      role: 'merchant_owner' as const,
      merchantId: h.ids.merchantId,
    };
    await setPasswordPolicy(h.db, h.ctx, owner, h.ids.merchantId, { maxFailures: 3 });
    for (let left = 2; left >= 1; left--) {
      expect((await refundWith('000001')).json()).toMatchObject({
        code: 'refund_password_invalid',
        attemptsLeft: left,
      });
    }
    expect((await refundWith('000001')).json().code).toBe('locked');
    const locked = await refundWith(REFUND_PASSWORD);
    expect(locked.statusCode).toBe(423);
    expect(Date.parse(locked.json().unlockAt)).toBe(h.clock.now().getTime() + 30 * MINUTE);
  });

  it('shows no expiry reminder with 15 days left, and shows it from 14', async () => {
    const status = async () =>
      (
        await h.app.inject({
          method: 'GET',
          url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/status`,
          headers: await h.login('owner'),
        })
      ).json();
    const supervisorLogin = async () =>
      (
        await h.app.inject({
          method: 'POST',
          url: `/api/v1/terminals/${h.ids.terminalId}/login`,
          payload: { operator: '00', password: '519370' },
        })
      ).json();
    // The demo password was set when the clock started; it expires 90 days later.
    h.clock.advance(76 * DAY - 1);
    h.forgetTokens();
    expect(await status()).toMatchObject({ daysLeft: 15, reminder: false, expired: false });
    expect((await supervisorLogin()).refundPasswordReminder).toBeNull();
    h.clock.advance(1);
    h.forgetTokens();
    expect(await status()).toMatchObject({ daysLeft: 14, reminder: true, expired: false });
    expect((await supervisorLogin()).refundPasswordReminder).toMatchObject({ daysLeft: 14, expired: false });
  });

  it('records where the change came from: the caller’s IP address on the audit event', async () => {
    const owner = await h.login('owner');
    const wrong = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
      headers: owner,
      remoteAddress: '198.51.100.23',
      payload: { currentPassword: '999991', newPassword: '480263', confirmPassword: '480263' },
    });
    expect(wrong.statusCode).toBe(403);
    const r = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
      headers: owner,
      remoteAddress: '203.0.113.7',
      payload: { currentPassword: REFUND_PASSWORD, newPassword: '480263', confirmPassword: '480263' },
    });
    expect(r.statusCode, r.body).toBe(204);
    const events = await h.db.kysely
      .selectFrom('audit_events')
      .select(['action', 'ip'])
      .where('action', 'in', ['refund_password.changed', 'refund_password.change_failed'])
      .orderBy('seq')
      .execute();
    expect(events).toEqual([
      { action: 'refund_password.change_failed', ip: '198.51.100.23' },
      { action: 'refund_password.changed', ip: '203.0.113.7' },
    ]);
    h.forgetTokens();
    const listed = await h.app.inject({
      method: 'GET',
      url: '/api/v1/audit-events?action=refund_password.changed',
      headers: await h.login('owner'),
    });
    expect(listed.json().data[0]).toMatchObject({ ip: '203.0.113.7' });
  });

  it('writes audit events for the change and the failures, with no password in them', async () => {
    await change(await h.operator('supervisor'), {
      currentPassword: '999991',
      newPassword: '480263',
      confirmPassword: '480263',
    });
    await change(await h.operator('supervisor'), {
      currentPassword: REFUND_PASSWORD,
      newPassword: '480263',
      confirmPassword: '480263',
    });
    h.forgetTokens();
    const owner = await h.login('owner');
    const events = await h.app.inject({ method: 'GET', url: '/api/v1/audit-events?limit=50', headers: owner });
    expect(events.statusCode, events.body).toBe(200);
    const actions = events.json().data.map((e: { action: string }) => e.action);
    expect(actions).toContain('refund_password.changed');
    expect(actions).toContain('refund_password.change_failed');
    expect(events.body).not.toContain('480263');
    expect(events.body).not.toContain(REFUND_PASSWORD);
  });
});

describe.each(engines())('the owner hears of a refund-password change (%s)', (engine) => {
  let h: Harness;
  let smtp: TestSmtp;
  useSmtpHarness(engine, (opened) => ({ h, smtp } = opened));

  it('e-mails the owner over SMTP after a successful change, in the merchant’s language, without the password', async () => {
    const r = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
      headers: await h.operator('supervisor'),
      payload: { currentPassword: REFUND_PASSWORD, newPassword: '480263', confirmPassword: '480263' },
    });
    expect(r.statusCode, r.body).toBe(204);
    await h.drain();
    const mails = smtp.to('owner@merchant.demo');
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('RefundDesk：退款密码已修改');
    expect(mails[0].text).toContain('Demo Store / 演示商户的退款密码已于 2026-03-02 16:00 (UTC+8) 修改');
    expect(mails[0].text).not.toContain('480263');
    expect(mails[0].text).not.toContain(REFUND_PASSWORD);
  });

  it('e-mails nothing for a refused change', async () => {
    const r = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
      headers: await h.operator('supervisor'),
      payload: { currentPassword: REFUND_PASSWORD, newPassword: '111111', confirmPassword: '111111' },
    });
    expect(r.json().code).toBe('password_trivial');
    await h.drain();
    expect(smtp.to('owner@merchant.demo')).toHaveLength(0);
  });
});
