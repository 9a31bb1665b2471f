import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { MINUTE } from '../clock.js';
import { listOutbox } from '../notifications/notification.service.js';

describe.each(engines())('login passwords (%s)', (engine) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(engine);
  });
  afterEach(() => h?.close());

  const operatorLogin = (code: string, password: string, terminalId = h.ids.terminalId) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${terminalId}/login`,
      payload: { operator: code, password },
    });
  const changeOwn = (
    headers: Record<string, string>,
    currentPassword: string,
    newPassword: string,
    confirm = newPassword,
  ) =>
    h.app.inject({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers,
      payload: { currentPassword, newPassword, confirmPassword: confirm },
    });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('lets a cashier change its own password with the current one; the old one stops working', async () => {
    const headers = await h.operator('cashier');
    expect((await changeOwn(headers, '0000', '7395')).json().code).toBe('invalid_credentials');
    expect((await changeOwn(headers, '4826', '7395', '7396')).json().code).toBe('password_confirmation_mismatch');
    expect((await changeOwn(headers, '4826', '1234')).json().code).toBe('password_trivial');
    expect((await changeOwn(headers, '4826', '4826')).json().code).toBe('password_reused');
    const ok = await changeOwn(headers, '4826', '7395');
    expect(ok.statusCode, ok.body).toBe(204);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers })).statusCode).toBe(401);
    expect((await operatorLogin('01', '4826')).statusCode).toBe(401);
    expect((await operatorLogin('01', '7395')).statusCode).toBe(200);
  });

  it('lets the supervisor give a cashier a temporary password that must be changed before anything else', async () => {
    const supervisor = await h.operator('supervisor');
    const reset = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/operators/01/password-reset`,
      headers: supervisor,
      payload: { temporaryPassword: '6047' },
    });
    expect(reset.statusCode, reset.body).toBe(204);
    const login = await operatorLogin('01', '6047');
    expect(login.json().mustChangePassword).toBe(true);
    const token = bearer(login.json().token);
    const sale = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: token,
      payload: { amount: 100, card: { number: '4111111111111111' } },
    });
    expect(sale.statusCode).toBe(403);
    expect(sale.json().code).toBe('password_change_required');
    expect((await changeOwn(token, '6047', '8153')).statusCode).toBe(204);
    const fresh = await operatorLogin('01', '8153');
    expect(fresh.json().mustChangePassword).toBe(false);
  });

  it('lets neither a cashier reset anyone nor a supervisor reset the supervisor; another merchant gets 404', async () => {
    const url = (code: string) => `/api/v1/terminals/${h.ids.terminalId}/operators/${code}/password-reset`;
    const cashier = await h.operator('cashier');
    expect(
      (await h.app.inject({ method: 'POST', url: url('01'), headers: cashier, payload: { temporaryPassword: '6047' } }))
        .statusCode,
    ).toBe(403);
    const supervisor = await h.operator('supervisor');
    const self = await h.app.inject({
      method: 'POST',
      url: url('00'),
      headers: supervisor,
      payload: { temporaryPassword: '604718' },
    });
    expect(self.statusCode).toBe(403);
    const other = await h.app.inject({
      method: 'POST',
      url: url('01'),
      headers: await h.login('otherOwner'),
      payload: { temporaryPassword: '6047' },
    });
    expect(other.statusCode).toBe(404);
    const owner = await h.app.inject({
      method: 'POST',
      url: url('00'),
      headers: await h.login('owner'),
      payload: { temporaryPassword: '604718' },
    });
    expect(owner.statusCode, owner.body).toBe(204);
  });

  it('locks an operator after five wrong passwords for 30 minutes, and tells the owner when the refund password locks', async () => {
    for (let left = 4; left >= 1; left--) {
      const wrong = await operatorLogin('01', '0000');
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ code: 'invalid_credentials', attemptsLeft: left });
    }
    // The entry that locks says so at once, with when the lock ends.
    const locking = await operatorLogin('01', '0000');
    expect(locking.statusCode).toBe(423);
    expect(Date.parse(locking.json().unlockAt)).toBe(h.clock.now().getTime() + 30 * MINUTE);
    const locked = await operatorLogin('01', '4826');
    expect(locked.statusCode).toBe(423);
    const told = await listOutbox(h.db.kysely, { limit: 20, merchantId: h.ids.merchantId });
    expect(told.find((n) => n.template === 'login_locked')?.body).toContain('T-0001 operator 01');
    h.clock.advance(30 * MINUTE + 1000);
    expect((await operatorLogin('01', '4826')).statusCode).toBe(200);

    const sale = await h.sale(1_000);
    for (let i = 0; i < 5; i++) {
      await h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: await h.operator('cashier'),
        payload: { paymentId: sale.id, amount: 100, reason: 'other', refundPassword: '000001' },
      });
    }
    const outbox = await listOutbox(h.db.kysely, { limit: 20, merchantId: h.ids.merchantId });
    expect(outbox.map((n) => n.template)).toContain('refund_password_locked');
  });

  it('locks a login after five wrong current passwords on a change, audits the lock and tells the owner', async () => {
    const headers = await h.operator('cashier');
    for (let i = 0; i < 5; i++)
      expect((await changeOwn(headers, '0000', '7395')).json().code).toBe('invalid_credentials');
    const locked = await changeOwn(headers, '4826', '7395');
    expect(locked.statusCode).toBe(423);
    expect((await operatorLogin('01', '4826')).statusCode).toBe(423);
    const events = await h.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'login.locked')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ chain: h.ids.merchantId, outcome: 'failure', terminal_id: h.ids.terminalId });
    const told = await listOutbox(h.db.kysely, { limit: 20, merchantId: h.ids.merchantId });
    expect(told.filter((n) => n.template === 'login_locked').map((n) => n.body)).toEqual([
      expect.stringContaining('T-0001 operator 01'),
    ]);
  });

  it('holds console users to the console rules: twelve characters, letters and digits, not common', async () => {
    const owner = await h.login('owner');
    expect((await changeOwn(owner, 'Owner-Demo-2026!', 'short1')).json().code).toBe('password_too_short');
    expect((await changeOwn(owner, 'Owner-Demo-2026!', 'password123456')).json().code).toBe('password_common');
    expect((await changeOwn(owner, 'Owner-Demo-2026!', 'no-digits-at-all')).json().code).toBe('password_too_weak');
    expect((await changeOwn(owner, 'Owner-Demo-2026!', 'Lantern-Harbor-77')).statusCode).toBe(204);
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'owner@merchant.demo', password: 'Lantern-Harbor-77' },
    });
    expect(login.statusCode).toBe(200);
  });
});
