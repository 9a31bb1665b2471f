import { describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { type TestSmtp, useSmtpHarness } from '../../test/support/smtp-harness.js';
import { transaction } from '../db/transaction.js';
import * as operators from '../operators/operator.service.js';
import { customerInput } from '../refunds/refund.fixtures.js';
import { DEMO } from '../seed/demo.js';
import { confirmed, countAll, reinitRequests } from './reinitialize.fixtures.js';
import * as terminals from './terminal.service.js';
import { findTerminalUnlockKey } from './terminal.service.js';

/** The terminal's own state: what a re-initialisation may shrink. Everything else only grows. */
const TERMINAL_STATE = new Set(['operators', 'sessions', 'secret_lockouts', 'secret_history', 'unlock_challenges']);

/** What a re-initialisation wipes and keeps, its backup, and the way back: activation, then a new refund password. */
describe.each(engines())('terminal re-initialisation (%s)', (engine) => {
  let h: Harness;
  let smtp: TestSmtp;
  useSmtpHarness(engine, (opened) => ({ h, smtp } = opened));
  const { reinit, settle, refundAt, signOn } = reinitRequests(() => h);

  it('wipes exactly the terminal’s state, keeps every money record and the audit log, and tells the owner', async () => {
    const sale = await h.sale(5_000, { settled: true });
    const cashier = await h.operator('cashier');
    const otherCashier = await h.operator('cashier', 'other');
    await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/unlock-challenge`,
      headers: await h.operator('supervisor'),
    });
    // A second terminal of the same merchant, to show the refund password is unset merchant-wide.
    const second = await transaction(h.db, (tx) =>
      terminals.createTerminal(tx, h.ctx, {
        serial: 'T-0101',
        merchantId: h.ids.merchantId,
        agentId: h.ids.agentId,
      }),
    );
    await operators.addOperator(h.db, h.ctx, { terminalId: second.id, code: '01', password: '7302' });
    const secondCashier = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${second.id}/login`,
      payload: { operator: '01', password: '7302' },
    });
    const secondHeaders = { authorization: `Bearer ${secondCashier.json().token}` };
    const keyBefore = await findTerminalUnlockKey(h.db.kysely, h.ctx, h.ids.terminalId);
    const owner = await h.login('owner');
    const before = await countAll(h);
    const opsBefore = await operators.findOperatorCredentials(h.db.kysely, h.ids.terminalId, '00');
    const itsOperators = (
      await h.db.kysely.selectFrom('operators').select('id').where('terminal_id', '=', h.ids.terminalId).execute()
    ).length;

    const r = await reinit(owner, confirmed(DEMO.owner.password));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const body = r.json();
    expect(body).toMatchObject({
      terminalId: h.ids.terminalId,
      serial: 'T-0001',
      backupId: null,
      backupSkipped: true,
      operatorsRemoved: itsOperators,
      supervisor: { code: '00' },
    });
    expect(body.supervisor.activationCode).toMatch(/^\d{10}$/);
    expect(body.sessionsEnded).toBeGreaterThanOrEqual(2);

    const after = await countAll(h);
    for (const [table, n] of Object.entries(before)) {
      if (TERMINAL_STATE.has(table)) continue;
      expect(after[table], `${table} lost rows`).toBeGreaterThanOrEqual(n);
    }
    for (const table of ['payments', 'refunds', 'refund_events', 'batches', 'disputes', 'dispute_events']) {
      if (table in before) expect(after[table], table).toBe(before[table]);
    }
    expect(after.audit_events).toBeGreaterThan(before.audit_events);
    expect(after.operators).toBe(before.operators - itsOperators + 1); // all gone, a new 00
    expect(after.unlock_challenges).toBe(before.unlock_challenges - 1);
    expect(after.sessions).toBe(before.sessions - body.sessionsEnded);
    expect(await operators.findOperatorCredentials(h.db.kysely, h.ids.terminalId, '01')).toBeUndefined();
    expect((await operators.findOperatorCredentials(h.db.kysely, h.ids.terminalId, '00'))?.id).not.toBe(opsBefore?.id);
    expect(await findTerminalUnlockKey(h.db.kysely, h.ctx, h.ids.terminalId)).not.toBe(keyBefore);

    // Its sessions are gone; the other merchant is untouched.
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: cashier })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: otherCashier })).statusCode).toBe(200);
    expect((await signOn('01', DEMO.terminal.cashier.password)).statusCode).toBe(401);

    // Merchant-wide: the other terminal refuses refunds and voids, the owner approvals.
    const there = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: secondHeaders,
      payload: { amount: 800, card: { number: '4111111111111111' } },
    });
    expect(there.statusCode, there.body).toBe(201);
    expect(expectProblem(await refundAt(secondHeaders, there.json().id)).code).toBe('refund_password_unset');
    const voided = await h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${there.json().id}/void`,
      headers: secondHeaders,
      payload: { refundPassword: REFUND_PASSWORD },
    });
    expect(expectProblem(voided).code).toBe('refund_password_unset');
    expect(expectProblem(await refundAt(owner, sale.id)).code).toBe('refund_password_unset');
    const status = await h.app.inject({
      method: 'GET',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/status`,
      headers: owner,
    });
    expect(status.json()).toMatchObject({ set: false, changedAt: null });

    const events = await h.app.inject({ method: 'GET', url: '/api/v1/audit-events?limit=100', headers: owner });
    const event = events.json().data.find((e: { action: string }) => e.action === 'terminal.reinitialized');
    expect(event).toMatchObject({
      outcome: 'success',
      objectId: h.ids.terminalId,
      actor: { kind: 'user' },
      ip: '198.51.100.23',
      details: { backupSkipped: true, backupId: null, role: 'merchant_owner' },
    });
    expect(JSON.stringify(events.json())).not.toContain(body.supervisor.activationCode);

    await h.drain();
    const mail = smtp.to(DEMO.owner.email).find((m) => m.subject?.includes('T-0001'));
    expect(mail?.subject).toMatch(/重新初始化|re-initialised/);
    expect(mail?.text ?? '').not.toContain(body.supervisor.activationCode);
  });

  it('refuses the owner’s approval of a customer request made before it (refund_password_unset); an API key, a machine credential without the refund password, still refunds', async () => {
    const sale = await h.sale(10_000, { settled: true });
    const asked = await h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      payload: customerInput(sale as never),
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const requestId = asked.json().id as string;
    expect(asked.json().status).toBe('pending_merchant');
    const owner = await h.login('owner');
    const apiKey = await h.apiKey(['refunds:write']);

    expect((await reinit(owner, confirmed(DEMO.owner.password))).statusCode).toBe(200);

    const approve = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${requestId}/merchant-decision`,
      headers: owner,
      payload: { decision: 'approve', refundPassword: REFUND_PASSWORD },
    });
    expect(expectProblem(approve).code).toBe('refund_password_unset');
    const request = await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${requestId}`, headers: owner });
    expect(request.json().status).toBe('pending_merchant');

    const byKey = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: apiKey,
      payload: { paymentId: sale.id, amount: 500, reason: 'goods_returned' },
    });
    expect(byKey.statusCode, byKey.body).toBe(201);
  });

  it('takes a backup first, names it in the audit log, and refuses when the backup fails, wiping nothing', async () => {
    await settle();
    const agent = await h.login('agent');
    const r = await reinit(agent, confirmed(DEMO.agent.password, { skipBackup: false }));
    expect(r.statusCode, r.body).toBe(200);
    const backupId = r.json().backupId as string;
    expect(backupId).toMatch(/^bkp_/);
    const run = await h.app.inject({
      method: 'GET',
      url: `/api/v1/backups/${backupId}`,
      headers: await h.login('admin'),
    });
    expect(run.json()).toMatchObject({ status: 'succeeded', verified: true });
    const event = await h.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'terminal.reinitialized')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(event.details)).toMatchObject({ backupId, backupSkipped: false, role: 'agent_staff' });

    const broken = await openHarness(engine, { backupDir: '/dev/null/no-such-dir' });
    try {
      await broken.app.inject({
        method: 'POST',
        url: `/api/v1/terminals/${broken.ids.terminalId}/settle`,
        headers: await broken.operator('supervisor'),
      });
      const refused = await broken.app.inject({
        method: 'POST',
        url: `/api/v1/terminals/${broken.ids.terminalId}/reinitialize`,
        headers: await broken.login('owner'),
        payload: confirmed(DEMO.owner.password, { skipBackup: false }),
      });
      expect(expectProblem(refused).code).toBe('reinitialize_backup_failed');
      expect(await operators.findOperatorCredentials(broken.db.kysely, broken.ids.terminalId, '01')).toBeDefined();
    } finally {
      await broken.close();
    }
  });

  it('lets 00 sign on once with the activation code, set a new operator password, then a new refund password', async () => {
    const sale = await h.sale(3_000, { settled: true });
    const supervisor = await h.operator('supervisor');
    const r = await reinit(supervisor, confirmed(DEMO.terminal.supervisor.password));
    expect(r.statusCode, r.body).toBe(200);
    const code = r.json().supervisor.activationCode as string;
    expect(r.json().sessionsEnded).toBeGreaterThanOrEqual(1);

    const first = await signOn('00', code);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().mustChangePassword).toBe(true);
    const activated = { authorization: `Bearer ${first.json().token}` };
    // Until the operator password is changed, nothing else.
    expect(expectProblem(await refundAt(activated, sale.id)).code).toBe('password_change_required');
    const changed = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: activated,
      payload: { currentPassword: code, newPassword: '640285', confirmPassword: '640285' },
    });
    expect(changed.statusCode, changed.body).toBe(204);
    // The code worked once.
    expect(expectProblem(await signOn('00', code)).code).toBe('invalid_credentials');
    const signedOn = await signOn('00', '640285');
    expect(signedOn.json().mustChangePassword).toBe(false);
    const headers = { authorization: `Bearer ${signedOn.json().token}` };
    expect(expectProblem(await refundAt(headers, sale.id)).code).toBe('refund_password_unset');

    const setTo = (newPassword: string) =>
      h.app.inject({
        method: 'PUT',
        url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
        headers,
        payload: { newPassword, confirmPassword: newPassword },
      });
    expect(expectProblem(await setTo(REFUND_PASSWORD)).code).toBe('password_reused');
    expect((await setTo('958314')).statusCode).toBe(204);
    const again = await signOn('00', '640285');
    const ok = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: { authorization: `Bearer ${again.json().token}` },
      payload: { paymentId: sale.id, amount: 100, reason: 'goods_returned', refundPassword: '958314' },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    // Once set, changing it needs the current one again.
    const without = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
      headers: { authorization: `Bearer ${again.json().token}` },
      payload: { newPassword: '275019', confirmPassword: '275019' },
    });
    expect(expectProblem(without, 'change without current').code).toBe('refund_password_required');
  });
});
