import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWithLockout, type LockNotice } from '../../src/credentials/credential.service.js';
import { policyFor } from '../../src/credentials/password-policy.js';
import { openContext, type Runtime } from '../../src/runtime.js';
import { DEMO } from '../../src/seed/demo.js';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';
import { call, killAllServers, ok, type ServerProcess, sleep, startServer } from '../support/server-process.js';

/**
 * The lockout must hold however many processes check one secret at once: at most five
 * verifications (five answers "wrong") before `locked`, never one more per process. Two ways to
 * break it: several app contexts in this process, each with its own database pool and its own
 * in-process queue, as separate processes would have (deterministic: every verification is slow);
 * and two real `serve` processes on one database answering wrong refund passwords over HTTP.
 *
 * The contexts run on PostgreSQL only: better-sqlite3 waits for SQLite's write lock synchronously,
 * so two connections in one process would stall each other's event loop. On SQLite the first suite
 * runs with one context, and the two real processes cover the cross-process case.
 */

/** A secret of no merchant: its lock is audited on the platform chain, with no owner to tell. */
const lockNoticeOf = (ref: string): LockNotice => ({
  merchantId: null,
  actor: { kind: 'system', id: null },
  action: 'test_secret.locked',
  objectType: 'test_secret',
  objectId: ref,
  template: 'login_locked',
  data: {},
});

describe.each(engines())('the lockout across app instances (%s)', (engine) => {
  let h: Harness;
  const others: Runtime[] = [];
  /** Every instance: the harness's and, on PostgreSQL, three more. */
  let instances: Runtime[] = [];
  beforeAll(async () => {
    h = await openHarness(engine);
    if (engine === 'postgres') for (let i = 0; i < 3; i++) others.push(await openContext(h.ctx.config, h.clock));
    instances = [{ db: h.db, ctx: h.ctx }, ...others];
  });
  afterAll(async () => {
    for (const { db } of others) await db.close();
    await h?.close();
  });

  it('runs at most five verifications of one secret while every instance guesses at once, and locks once', async () => {
    let verifications = 0;
    const notice = lockNoticeOf('test:many-instances');
    const guess = ({ db, ctx }: Runtime) =>
      checkWithLockout(db, ctx, {
        ref: 'test:many-instances',
        policy: policyFor(ctx),
        verify: async () => {
          verifications++;
          await sleep(30);
          return false;
        },
        lockNotice: notice,
      }).then(
        (ok) => (ok ? 'right' : 'wrong'),
        (e: { code?: string }) => e.code ?? String(e),
      );
    const answers = await Promise.all(
      instances.flatMap((rt) => Array.from({ length: 32 / instances.length }, () => guess(rt))),
    );
    expect(verifications).toBe(5);
    expect(answers.filter((a) => a === 'wrong')).toHaveLength(5);
    expect(answers.filter((a) => a === 'locked')).toHaveLength(27);
    const locks = await h.db.kysely
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'test_secret.locked')
      .where('object_id', '=', 'test:many-instances')
      .execute();
    expect(locks).toHaveLength(1);
    const row = await h.db.kysely
      .selectFrom('secret_lockouts')
      .selectAll()
      .where('secret_ref', '=', 'test:many-instances')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      failures: 5,
      locked_until: new Date(h.clock.now().getTime() + 30 * 60_000).toISOString(),
    });
  });

  it('lets a right entry that reaches the limit through, and a right entry after it unlocks nothing', async () => {
    const ref = 'test:right-at-the-limit';
    const notice = lockNoticeOf(ref);
    const check = ({ db, ctx }: Runtime, right: boolean) =>
      checkWithLockout(db, ctx, { ref, policy: policyFor(ctx), verify: async () => right, lockNotice: notice });
    const at = (i: number) => instances[i % instances.length];
    for (let i = 0; i < 4; i++) expect(await check(at(i), false)).toBe(false);
    // The fifth attempt sets the lock as it is counted; being right, it takes the lock back.
    expect(await check(at(4), true)).toBe(true);
    expect(await check(at(5), false)).toBe(false);
    for (let i = 0; i < 4; i++) await check(at(i), false);
    await expect(check(at(1), true)).rejects.toMatchObject({ code: 'locked' });
  });
});

describe.each(engines())('the lockout across two serve processes (%s)', (engine) => {
  let db: ThrowawayDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    db = await throwawayDatabase(engine);
    a = await startServer(db.url, { WORKER: 'off', SECRET_KEY: 'a'.repeat(64) });
    b = await startServer(db.url, { WORKER: 'off', SECRET_KEY: 'a'.repeat(64), SEED_DEMO: 'off' });
  }, 90_000);
  afterAll(async () => {
    await killAllServers();
    await db?.drop();
  });

  it('answers "wrong refund password" at most five times to a burst of guesses sent to both processes', async () => {
    const owner = await ok(call(a.base, 'POST', '/api/v1/auth/login', undefined, DEMO.owner), 200);
    const terminals = await ok(call(a.base, 'GET', '/api/v1/terminals', owner.token as string), 200);
    const terminalId = (terminals.data as Array<{ id: string; serial: string }>).find(
      (t) => t.serial === DEMO.terminal.serial,
    )?.id;
    const login = await ok(
      call(a.base, 'POST', `/api/v1/terminals/${terminalId}/login`, undefined, {
        operator: DEMO.terminal.cashier.code,
        password: DEMO.terminal.cashier.password,
      }),
      200,
    );
    const cashier = login.token as string;
    const sale = await ok(
      call(a.base, 'POST', '/api/v1/payments', cashier, { amount: 10_000, card: { number: '4111111111111111' } }),
      201,
    );
    const refund = (base: string, refundPassword: string) =>
      call(base, 'POST', '/api/v1/refunds', cashier, {
        paymentId: sale.id,
        amount: 100,
        reason: 'other',
        refundPassword,
      });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => [refund(a.base, '000001'), refund(b.base, '000001')]).flat(),
    );
    const codes = answers.map((r) => r.json.code);
    // Five verifications in all: four wrong answers (with the tries left), the fifth locks and says so.
    expect(codes.filter((c) => c === 'refund_password_invalid')).toHaveLength(4);
    expect(codes.filter((c) => c === 'locked')).toHaveLength(20);
    for (const base of [a.base, b.base]) expect((await refund(base, DEMO.refundPassword)).status).toBe(423);
  }, 60_000);
});
