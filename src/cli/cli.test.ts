import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from '../../test/support/cli-process.js';
import { type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { loadConfig } from '../config.js';
import type { AppError } from '../errors.js';
import { openContext } from '../runtime.js';
import { DEMO } from '../seed/demo.js';
import { CASHIER, expectError, P1, P2, P3, P4, SUPERVISOR } from './cli.fixtures.js';
import { actAs } from './cli-actor.js';

/**
 * The real `refunddesk` CLI as a child process on a throwaway SQLite database seeded with the demo.
 * The checks are batched: the child runs are sequential where they write, parallel where they can.
 */

let db: ThrowawayDatabase;
let ids: { merchantId: string; terminalId: string; otherMerchantId: string };
/** Every secret handed to a child, with that child's output: checked after every run. */
let runs = 0;
/** A moment after the demo's refund password was set. */
let seededAt = '';

async function cli(
  args: string[],
  secrets: { env?: Record<string, string>; stdin?: string[]; settings?: Record<string, string> } = {},
): Promise<CliRun> {
  const r = await runCli(db.url, args, secrets);
  runs++;
  // The CLI never prints a secret it read, on either stream, success or failure.
  for (const s of [...Object.values(secrets.env ?? {}), ...(secrets.stdin ?? [])]) {
    expect(r.stdout + r.stderr, `${args.join(' ')} printed a secret it read`).not.toContain(s);
  }
  return r;
}

describe('refunddesk CLI: refund password, recovery, operator reset', () => {
  const started = Date.now();
  beforeAll(async () => {
    db = await throwawayDatabase('sqlite');
    const seeded = await cli(['seed', '--demo']);
    expect(seeded.code, seeded.stderr).toBe(0);
    ids = seeded.json();
    seededAt = new Date().toISOString();
  });
  afterAll(async () => {
    await db?.drop();
    console.info(`[cli.test] ${runs} CLI runs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  // Two lanes run side by side, each a sequence of CLI runs, to halve the wall time; SQLite queues
  // writers from several processes (BEGIN IMMEDIATE, busy_timeout). The lanes touch different
  // things, except the policy, whose override (history 6, lock after 4) lane 1 stays within.
  describe('refund password: change, then the agent way', { concurrent: true }, () => {
    /** changedAt of the refund password as last seen: every change and reset must move it. */
    let changedAt = '';
    beforeAll(() => {
      changedAt = seededAt;
    });

    it.sequential('change: with env secrets; a wrong current one → refund_password_invalid; a cashier may not', async () => {
      const bySupervisor = await cli(
        ['refund-password', 'change', '--merchant', ids.merchantId, '--as-operator', SUPERVISOR],
        { env: { CURRENT_REFUND_PASSWORD: DEMO.refundPassword, NEW_REFUND_PASSWORD: P1 } },
      );
      expect(bySupervisor.code, bySupervisor.stderr).toBe(0);
      const out = bySupervisor.json();
      expect(out).toMatchObject({
        changed: true,
        merchantId: ids.merchantId,
        actedAs: { kind: 'operator', role: 'supervisor' },
      });
      expect(out.status.changedAt > changedAt).toBe(true);
      changedAt = out.status.changedAt;

      const wrongCurrent = await cli(
        ['refund-password', 'change', '--merchant', ids.merchantId, '--as-operator', SUPERVISOR],
        { env: { CURRENT_REFUND_PASSWORD: DEMO.refundPassword, NEW_REFUND_PASSWORD: P2 } },
      );
      expectError(wrongCurrent, 'refund_password_invalid');

      // The service checks the tenant; the role list is the route's, which the CLI applies too.
      const cashier = await cli(['refund-password', 'change', '--merchant', ids.merchantId, '--as-operator', CASHIER], {
        env: { CURRENT_REFUND_PASSWORD: P1, NEW_REFUND_PASSWORD: P2 },
      });
      expectError(cashier, 'forbidden');
    });

    // Five CLI processes, each a tsx start: more than a minute on a loaded two-core machine.
    it.sequential('agent flow end to end: challenge → unlock-code → reset sets a password that then works; the code works once', {
      timeout: 180_000,
    }, async () => {
      const ch = await cli(['recovery', 'challenge', '--terminal', 'T-0001', '--as-operator', SUPERVISOR]);
      expect(ch.code, ch.stderr).toBe(0);
      const { challenge, expiresAt } = ch.json();
      expect(challenge).toMatch(/^\d{10}$/);
      expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());

      // The terminal by id this time; the agent acts as itself.
      const issued = await cli([
        'recovery',
        'unlock-code',
        '--terminal',
        ids.terminalId,
        '--challenge',
        challenge,
        '--as-user',
        DEMO.agent.email,
      ]);
      expect(issued.code, issued.stderr).toBe(0);
      const { unlockCode } = issued.json();
      expect(unlockCode).toMatch(/^\d{8}$/);

      // Two secrets on standard input: two lines.
      const reset = await cli(['recovery', 'reset', '--terminal', 'T-0001', '--as-operator', SUPERVISOR], {
        stdin: [unlockCode, P3],
      });
      expect(reset.code, reset.stderr).toBe(0);
      expect(reset.json()).toMatchObject({ reset: true, actedAs: { role: 'supervisor' } });
      expect(reset.json().status.changedAt > changedAt).toBe(true);
      changedAt = reset.json().status.changedAt;

      const again = await cli(['recovery', 'reset', '--terminal', 'T-0001', '--as-operator', SUPERVISOR], {
        env: { UNLOCK_CODE: unlockCode, NEW_REFUND_PASSWORD: P4 },
      });
      expectError(again, 'unlock_code_invalid');

      // The password the reset set is now the current one: the owner changes it, on standard input.
      const change = await cli(
        ['refund-password', 'change', '--merchant', ids.merchantId, '--as-user', DEMO.owner.email],
        {
          stdin: [P3, P2],
        },
      );
      expect(change.code, change.stderr).toBe(0);
      expect(change.json().actedAs).toMatchObject({ kind: 'user', role: 'merchant_owner' });
    });
  });

  describe('status, the SMS way, policy, operator reset, acting as, argument errors', { concurrent: true }, () => {
    it.sequential('status: days left and expiry, never the password; acting as someone, only the merchant’s own people', async () => {
      const open = await cli(['refund-password', 'status', '--merchant', ids.merchantId]);
      expect(open.code, open.stderr).toBe(0);
      const s = open.json();
      expect(s).toMatchObject({ merchantId: ids.merchantId, daysLeft: 90, expired: false, reminder: false });
      expect(s).toMatchObject({ locked: false, unlockAt: null, set: true });
      // The other group runs beside this one and makes one wrong attempt on purpose: 5 or 4 left.
      expect([4, 5]).toContain(s.attemptsLeft);
      expect(Object.keys(s).sort()).toEqual([
        'attemptsLeft',
        'changedAt',
        'daysLeft',
        'expired',
        'expiresAt',
        'locked',
        'merchantId',
        'reminder',
        'set',
        'unlockAt',
      ]);
      expect(open.stdout).not.toContain(DEMO.refundPassword);
      expect(open.stdout).not.toMatch(/argon|hash/i);

      const stranger = await cli([
        'refund-password',
        'status',
        '--merchant',
        ids.merchantId,
        '--as-user',
        DEMO.other.owner.email,
      ]);
      expectError(stranger, 'not_found');
    });

    it.sequential('SMS / e-mail way: send-code answers the same either way; a wrong code → recovery_code_invalid', async () => {
      const sent = await cli([
        'recovery',
        'send-code',
        '--merchant',
        ids.merchantId,
        '--channel',
        'sms',
        '--as-user',
        DEMO.owner.email,
      ]);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.json()).toMatchObject({ status: 'sent_if_registered', expiresInSeconds: 600 });

      const wrong = await cli(['recovery', 'verify-code', '--merchant', ids.merchantId, '--as-operator', SUPERVISOR], {
        env: { RECOVERY_CODE: '480159', NEW_REFUND_PASSWORD: P1 },
      });
      expectError(wrong, 'recovery_code_invalid');
    });

    it.sequential('policy: stored as an override, prints the merged policy; min above max refused', async () => {
      const set = await cli([
        'refund-password',
        'policy',
        '--merchant',
        ids.merchantId,
        '--lock-after',
        '4',
        '--lock-minutes',
        '45',
        '--history',
        '6',
        '--as-user',
        DEMO.admin.email,
      ]);
      expect(set.code, set.stderr).toBe(0);
      const out = set.json();
      expect(out.override).toEqual({ lockout: { maxFailures: 4, lockMinutes: 45 }, historySize: 6 });
      expect(out.policy).toMatchObject({ historySize: 6, lockout: { maxFailures: 4, lockMinutes: 45 } });
      expect(out.policy.refundPassword).toMatchObject({ minLength: 6, maxLength: 12, expiryDays: 90 });

      const minAboveMax = await cli([
        'refund-password',
        'policy',
        '--merchant',
        ids.merchantId,
        '--min-length',
        '14',
        '--as-user',
        DEMO.owner.email,
      ]);
      expectError(minAboveMax, 'validation_failed');
      expect(minAboveMax.stderr).toContain('above max length 12');
    });

    it.sequential('operator reset-password: a temporary password for a cashier, who must then change it', async () => {
      const reset = await cli(
        ['operator', 'reset-password', '--terminal', 'T-0001', '--code', '01', '--as-operator', SUPERVISOR],
        { env: { TEMPORARY_PASSWORD: '90817263' } },
      );
      expect(reset.code, reset.stderr).toBe(0);
      expect(reset.json()).toMatchObject({
        reset: true,
        terminalSerial: 'T-0001',
        operator: '01',
        mustChangePassword: true,
      });
    });

    it.sequential('acting as: principals from the database, with the login’s rules (in process, no child)', async () => {
      const { db: conn } = await openContext(loadConfig({ DATABASE_URL: db.url }));
      try {
        const err = (p: Promise<unknown>) =>
          p.then(
            () => 'resolved',
            (e: AppError) => e.code,
          );
        const owner = await actAs(conn.kysely, { asUser: DEMO.owner.email }, ['merchant_owner']);
        expect(owner).toMatchObject({ kind: 'user', role: 'merchant_owner', merchantId: ids.merchantId });
        const supervisor = await actAs(conn.kysely, { asOperator: `${ids.terminalId}:00` }, ['supervisor']);
        expect(supervisor).toMatchObject({ kind: 'operator', terminalId: ids.terminalId, merchantId: ids.merchantId });
        // Operator 01 was just reset: like a login, it may do nothing before changing its password.
        expect(await err(actAs(conn.kysely, { asOperator: CASHIER }, ['cashier']))).toBe('password_change_required');
        expect(await err(actAs(conn.kysely, { asOperator: 'T-0002:00' }, ['cashier']))).toBe('forbidden');
        expect(await err(actAs(conn.kysely, { asOperator: 'T-9999:00' }, ['supervisor']))).toBe('not_found');
        expect(await err(actAs(conn.kysely, { asOperator: 'T-0001:7' }, ['supervisor']))).toBe('validation_failed');
        expect(await err(actAs(conn.kysely, { asUser: 'nobody@x.demo' }, ['merchant_owner']))).toBe('not_found');
        expect(await err(actAs(conn.kysely, {}, ['merchant_owner']))).toBe('validation_failed');
        expect(
          await err(actAs(conn.kysely, { asUser: DEMO.owner.email, asOperator: SUPERVISOR }, ['supervisor'])),
        ).toBe('validation_failed');
      } finally {
        await conn.close();
      }
    });

    it.sequential('login-password change: the reset cashier sets its own; a wrong current one is refused; a console user on stdin', async () => {
      const wrong = await cli(['login-password', 'change', '--as-operator', CASHIER], {
        stdin: ['11223344', '73950284'],
      });
      expectError(wrong, 'invalid_credentials');
      // Operator 01 must change the temporary password it was given: this command is the way out.
      const changed = await cli(['login-password', 'change', '--as-operator', CASHIER], {
        env: { CURRENT_PASSWORD: '90817263', NEW_PASSWORD: '73950284' },
      });
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.json()).toEqual({
        changed: true,
        actedAs: { kind: 'operator', id: expect.stringMatching(/^op_/), role: 'cashier' },
      });
      const acts = await cli(['refund-password', 'status', '--merchant', ids.merchantId, '--as-operator', CASHIER]);
      expect(acts.code, acts.stderr).toBe(0);
      const again = await cli(['login-password', 'change', '--as-operator', CASHIER], {
        env: { CURRENT_PASSWORD: '90817263', NEW_PASSWORD: '51739284' },
      });
      expectError(again, 'invalid_credentials');

      const reviewer = await cli(['login-password', 'change', '--as-user', DEMO.reviewer.email], {
        stdin: [DEMO.reviewer.password, 'Lantern-Harbor-77'],
      });
      expect(reviewer.code, reviewer.stderr).toBe(0);
      expect(reviewer.json().actedAs).toMatchObject({ kind: 'user', role: 'acquirer_reviewer' });
      const weak = await cli(['login-password', 'change', '--as-user', DEMO.reviewer.email], {
        env: { CURRENT_PASSWORD: 'Lantern-Harbor-77', NEW_PASSWORD: 'short1' },
      });
      expectError(weak, 'password_too_short');
    });
  });
});
