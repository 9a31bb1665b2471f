import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import * as users from '../../src/auth/user.service.js';
import { settleBackupRuns } from '../../src/backups/backup-run.service.js';
import { ManualClock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { AppContext } from '../../src/context.js';
import type { Db } from '../../src/db/connect.js';
import { transaction } from '../../src/db/transaction.js';
import { buildApp } from '../../src/http/app.js';
import { drainJobs } from '../../src/jobs/job.service.js';
import * as merchants from '../../src/merchants/merchant.service.js';
import { closeSmtpPools } from '../../src/notifications/email.js';
import { openContext } from '../../src/runtime.js';
import { DEMO, type DemoIds, seedDemo } from '../../src/seed/demo.js';
import { type EngineName, throwawayDatabase } from './engines.js';

export interface Harness {
  engine: EngineName;
  /** The database; services take it (or a transaction on it) first. */
  db: Db;
  ctx: AppContext;
  clock: ManualClock;
  app: FastifyInstance;
  ids: DemoIds;
  /** Runs every due job (acquirer review, processing) now. */
  drain(): Promise<number>;
  /** A bearer header for a demo login. */
  login(who: 'owner' | 'reviewer' | 'agent' | 'admin' | 'otherOwner'): Promise<Record<string, string>>;
  operator(which: 'cashier' | 'supervisor', terminal?: 'main' | 'other'): Promise<Record<string, string>>;
  apiKey(scopes: string[], merchant?: 'main' | 'other'): Promise<Record<string, string>>;
  /**
   * Makes an approved sale on T-0001 (or T-0002) and returns it; `settled` then settles the
   * terminal's batch, as the acquirer's rules auto-approve refunds of settled sales only.
   */
  sale(
    amount: number,
    opts?: { card?: string; terminal?: 'main' | 'other'; settled?: boolean },
  ): Promise<Record<string, unknown> & { id: string }>;
  /**
   * Logs in a console user of a *different* agency or acquirer than the demo's: for "someone of
   * the same role but not yours" checks.
   */
  stranger(role: 'agent_staff' | 'acquirer_reviewer'): Promise<Record<string, string>>;
  /** Drops cached tokens (after something revoked them), so the next call logs in afresh. */
  forgetTokens(): void;
  close(): Promise<void>;
}

/**
 * A migrated, demo-seeded database on `engine`, an in-process app (`app.inject`), and a manual
 * clock. Processing delay is 0 and no background worker runs: tests drain jobs when they choose.
 */
export async function openHarness(
  engine: EngineName,
  overrides: Partial<Config> = {},
  logStream?: NodeJS.WritableStream,
  options: { onQuery?: (sql: string, parameters: readonly unknown[]) => void } = {},
): Promise<Harness> {
  const tdb = await throwawayDatabase(engine);
  const clock = new ManualClock('2026-03-02T08:00:00.000Z');
  const config: Config = {
    ...loadConfig({}),
    databaseUrl: tdb.url,
    logLevel: 'silent',
    worker: false,
    refundProcessingDelayMs: 0,
    // No worker runs here: the outbox is as deep as the test leaves it, so admission control is off
    // unless a test turns it on (test/http/admission.test.ts).
    admissionMaxWaitingJobs: 0,
    secretKey: randomBytes(32).toString('hex'), // not a key file in ./data for PostgreSQL runs
    backupDir: join(tmpdir(), `refunddesk-backups-${randomBytes(6).toString('hex')}`),
    ...overrides,
  };
  const { db, ctx } = await openContext(config, clock, options);
  const app = await buildApp(db, ctx, logStream ? { logStream: logStream as never, logLevel: 'info' } : {});
  const ids = (await seedDemo(db, ctx)) as DemoIds;
  const tokens = new Map<string, string>();
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  const loginUser = async (email: string, password: string) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    if (r.statusCode !== 200) throw new Error(`login ${email} failed: ${r.body}`);
    return r.json().token as string;
  };
  const emails = {
    owner: DEMO.owner,
    reviewer: DEMO.reviewer,
    agent: DEMO.agent,
    admin: DEMO.admin,
    otherOwner: DEMO.other.owner,
  };

  const h: Harness = {
    engine,
    db,
    ctx,
    clock,
    app,
    ids,
    drain: () => drainJobs(db, ctx),
    async login(who) {
      const key = `user:${who}`;
      if (!tokens.has(key)) tokens.set(key, await loginUser(emails[who].email, emails[who].password));
      return bearer(tokens.get(key) as string);
    },
    async operator(which, terminal = 'main') {
      const key = `op:${which}:${terminal}`;
      if (!tokens.has(key)) {
        const t = terminal === 'main' ? DEMO.terminal : DEMO.other.terminal;
        const id = terminal === 'main' ? ids.terminalId : ids.otherTerminalId;
        const r = await app.inject({
          method: 'POST',
          url: `/api/v1/terminals/${id}/login`,
          payload: { operator: t[which].code, password: t[which].password },
        });
        if (r.statusCode !== 200) throw new Error(`operator login failed: ${r.body}`);
        tokens.set(key, r.json().token);
      }
      return bearer(tokens.get(key) as string);
    },
    async apiKey(scopes, merchant = 'main') {
      const owner = await h.login(merchant === 'main' ? 'owner' : 'otherOwner');
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner,
        payload: { name: 'test', scopes },
      });
      if (r.statusCode !== 201) throw new Error(`api key failed: ${r.body}`);
      return bearer(r.json().secret);
    },
    async sale(amount, opts = {}) {
      const headers = await h.operator('cashier', opts.terminal ?? 'main');
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/payments',
        headers,
        payload: { amount, card: { number: opts.card ?? '4111111111111111' } },
      });
      if (r.statusCode !== 201) throw new Error(`sale failed: ${r.body}`);
      if (opts.settled) {
        const terminal = opts.terminal === 'other' ? ids.otherTerminalId : ids.terminalId;
        const settled = await app.inject({
          method: 'POST',
          url: `/api/v1/terminals/${terminal}/settle`,
          headers: await h.operator('supervisor', opts.terminal ?? 'main'),
        });
        if (settled.statusCode !== 200) throw new Error(`settlement failed: ${settled.body}`);
      }
      return r.json();
    },
    async stranger(role) {
      const n = tokens.size + Math.floor(Math.random() * 1e6);
      const email = `stranger-${n}@${role === 'agent_staff' ? 'other-agency' : 'other-acquirer'}.demo`;
      const password = 'Stranger-Demo-2026!';
      const tenant =
        role === 'agent_staff'
          ? { agentId: (await transaction(db, (tx) => merchants.createAgent(tx, ctx, `Other agency ${n}`))).id }
          : {
              acquirerId: (await transaction(db, (tx) => merchants.createAcquirer(tx, ctx, `Other acquirer ${n}`))).id,
            };
      await users.createUser(db, ctx, { email, password, name: `Stranger ${n}`, role, ...tenant });
      return bearer(await loginUser(email, password));
    },
    forgetTokens() {
      tokens.clear();
    },
    async close() {
      await settleBackupRuns();
      await app.close();
      await closeSmtpPools();
      await db.close();
      await tdb.drop();
    },
  };
  return h;
}

export const REFUND_PASSWORD = DEMO.refundPassword;

/**
 * For a describe block whose tests share one database: a harness on `engine` opened before the
 * block's first test and closed after its last (`'test'`: a fresh one for each test). `use`
 * receives it, so the block keeps its own `h`: `useHarness(engine, (opened) => (h = opened));`
 */
export function useHarness(engine: EngineName, use: (h: Harness) => void, per: 'block' | 'test' = 'block'): void {
  let h: Harness | undefined;
  const open = async () => {
    h = await openHarness(engine);
    use(h);
  };
  const close = async () => {
    await h?.close();
    h = undefined;
  };
  if (per === 'block') {
    beforeAll(open);
    afterAll(close);
  } else {
    beforeEach(open);
    afterEach(close);
  }
}
