import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { DEMO } from '../seed/demo.js';

/** PCI DSS 10.2.1 / 10.2.2: every login, successful or not, is in the audit log, with where it came from. */
describe.each(engines())('login audit (%s)', (engine) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(engine);
  });
  afterEach(() => h?.close());

  const ip = '198.51.100.40';
  const consoleLogin = (email: string, password: string) =>
    h.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { email, password } });
  const operatorLogin = (operator: string, password: string, terminalId = h.ids.terminalId) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${terminalId}/login`,
      remoteAddress: ip,
      payload: { operator, password },
    });
  /** The login events written since the harness logged anyone in (it logs in from 127.0.0.1). */
  const events = async () =>
    h.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('action', 'in', ['login.succeeded', 'login.failed', 'login_password.change_failed'])
      .where('ip', '=', ip)
      .orderBy('id') // ids sort by creation time
      .execute();
  const details = (e: { details: string }) => JSON.parse(e.details);

  it('audits a console login that succeeds on the merchant’s chain, and an admin’s on the platform chain', async () => {
    expect((await consoleLogin(DEMO.owner.email, DEMO.owner.password)).statusCode).toBe(200);
    expect((await consoleLogin(DEMO.admin.email, DEMO.admin.password)).statusCode).toBe(200);
    const [owner, admin] = await events();
    expect(owner).toMatchObject({
      chain: h.ids.merchantId,
      action: 'login.succeeded',
      outcome: 'success',
      actor_kind: 'user',
      object_type: 'user',
      ip,
    });
    expect(owner.actor_id).toBe(owner.object_id);
    expect(details(owner)).toMatchObject({ role: 'merchant_owner' });
    expect(admin).toMatchObject({ chain: 'platform', action: 'login.succeeded', ip });
  });

  it('audits a wrong password and an unknown e-mail alike to the caller, and never the password', async () => {
    expect((await consoleLogin(DEMO.owner.email, 'Wrong-Owner-Pass-1')).statusCode).toBe(401);
    expect((await consoleLogin('nobody@merchant.demo', 'Wrong-Owner-Pass-2')).statusCode).toBe(401);
    // A password typed into the e-mail field is not kept either.
    expect((await consoleLogin('Wrong-Owner-Pass-3', DEMO.owner.password)).statusCode).toBe(401);
    const [wrong, unknown, typo] = await events();
    expect(wrong).toMatchObject({
      chain: h.ids.merchantId,
      action: 'login.failed',
      outcome: 'failure',
      actor_kind: 'anonymous',
      actor_id: null,
      object_type: 'user',
    });
    expect(details(wrong)).toEqual({ reason: 'wrong_password' });
    expect(unknown).toMatchObject({ chain: 'platform', action: 'login.failed', object_id: null });
    expect(details(unknown)).toEqual({ reason: 'unknown_email', email: 'nobody@merchant.demo' });
    expect(typo).toMatchObject({ chain: 'platform', action: 'login.failed' });
    expect(details(typo)).toEqual({ reason: 'unknown_email' });
    const all = JSON.stringify(await h.db.kysely.selectFrom('audit_events').selectAll().execute());
    for (const secret of ['Wrong-Owner-Pass-1', 'Wrong-Owner-Pass-2', 'Wrong-Owner-Pass-3', DEMO.owner.password]) {
      expect(all).not.toContain(secret);
    }
  });

  it('audits operator logins: success, wrong PIN, unknown operator, unknown terminal, locked', async () => {
    expect((await operatorLogin('01', DEMO.terminal.cashier.password)).statusCode).toBe(200);
    expect((await operatorLogin('01', '9753')).statusCode).toBe(401);
    expect((await operatorLogin('42', '9753')).statusCode).toBe(401);
    expect((await operatorLogin('01', '9753', 'trm_doesnotexist')).statusCode).toBe(401);
    for (let i = 0; i < 4; i++) await operatorLogin('01', '9753');
    expect((await operatorLogin('01', DEMO.terminal.cashier.password)).statusCode).toBe(423);
    const all = await events();
    const summary = all.map((e) => [e.chain === 'platform' ? 'platform' : 'merchant', e.action, details(e).reason]);
    expect(summary).toEqual([
      ['merchant', 'login.succeeded', undefined],
      ['merchant', 'login.failed', 'wrong_password'],
      ['merchant', 'login.failed', 'unknown_operator'],
      ['platform', 'login.failed', 'unknown_terminal'],
      ...Array.from({ length: 4 }, () => ['merchant', 'login.failed', 'wrong_password']),
      ['merchant', 'login.failed', 'locked'],
    ]);
    expect(all[0]).toMatchObject({ actor_kind: 'operator', object_type: 'operator', terminal_id: h.ids.terminalId });
    expect(all[2]).toMatchObject({ object_type: 'terminal', terminal_id: h.ids.terminalId });
    expect(details(all[2])).toMatchObject({ operator: '42' });
    expect(all[3]).toMatchObject({ object_id: 'trm_doesnotexist' });
  });

  it('audits a wrong current password on a change of one’s own password', async () => {
    const r = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: await h.login('owner'),
      remoteAddress: ip,
      payload: {
        currentPassword: 'Not-My-Password-9',
        newPassword: 'Lantern-Harbor-77',
        confirmPassword: 'Lantern-Harbor-77',
      },
    });
    expect(r.json().code).toBe('invalid_credentials');
    const [failed] = await events();
    expect(failed).toMatchObject({
      chain: h.ids.merchantId,
      action: 'login_password.change_failed',
      outcome: 'failure',
      actor_kind: 'user',
      object_type: 'user',
      ip,
    });
    expect(details(failed)).toEqual({ reason: 'wrong_current_password' });
    expect(failed.details).not.toContain('Not-My-Password-9');
  });
});
