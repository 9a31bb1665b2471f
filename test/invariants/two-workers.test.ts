import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/seed/demo.js';
import { type EngineName, engines, type ThrowawayDatabase, throwawayDatabase } from '../support/engines.js';
import {
  call,
  killAllServers,
  killHard,
  ok,
  type ServerProcess,
  sleep,
  startServer,
} from '../support/server-process.js';

/**
 * Several `serve` processes on one database each run the background worker: a refund must still
 * be processed once. Two real processes share a throwaway database; refunds arrive over both
 * processes' HTTP ports at once, and both workers claim jobs (FOR UPDATE SKIP LOCKED on PostgreSQL,
 * BEGIN IMMEDIATE on SQLite). Afterwards the tables must show every job claimed once and run to
 * completion, one `processing` and one `succeeded` step per refund, work done by both workers,
 * and no sale refunded beyond its amount.
 */

const SALES = 8;
const SALE_AMOUNT = 5_000;
const REFUND_AMOUNT = 200;
/** Per sale: 25 refunds fit exactly, the 2 extra must be refused whichever requests lose the race. */
const FITTING = SALE_AMOUNT / REFUND_AMOUNT;
const REQUESTS_PER_SALE = FITTING + 2;
const IN_FLIGHT = 16;
const SETTLE_TIMEOUT_MS = 30_000;
const HOLD_MAX_MS = 15_000;

const REFUND_JOBS = ['refund.acquirer_review', 'refund.process'];

type Row = Record<string, unknown>;

/** Reads tables with the engine's own driver, independent of the application's data layer. */
async function openReader(engine: EngineName, url: string) {
  if (engine === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      all: async (sql: string): Promise<Row[]> => (await client.query(sql)).rows as Row[],
      close: () => client.end(),
    };
  }
  const sqlite = new Sqlite(url, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  return {
    all: async (sql: string): Promise<Row[]> => sqlite.prepare(sql).all() as Row[],
    close: async () => {
      sqlite.close();
    },
  };
}

/**
 * PostgreSQL: a stand-in for a third, slow claimer. Half-way through the load it locks every job
 * row nobody has claimed, as a worker's claim does until it commits, and keeps them until both
 * workers have come for jobs again: both claimed jobs due after the held ones (they skipped the
 * held rows: SKIP LOCKED), or both wait on a lock for a statement on `jobs`. A claim that reads
 * due rows without locking them queues its UPDATE behind the held rows, the other worker's claim
 * too, and both take the same jobs when the hold ends: the race that is otherwise a few
 * milliseconds wide, made certain to happen if the code allows it. (A claim that waits on
 * FOR UPDATE without SKIP LOCKED re-checks the rows after the wait: slower, but still once.)
 */
async function holdUnclaimedJobs(url: string): Promise<{ held: number; skipped: number; blocked: number }> {
  const holder = new pg.Client({ connectionString: url });
  // A second session watches: pg_stat_activity is a snapshot taken once per transaction.
  const watcher = new pg.Client({ connectionString: url });
  await Promise.all([holder.connect(), watcher.connect()]);
  try {
    await holder.query('BEGIN');
    const held = await holder.query<{ run_at: string }>(
      'SELECT run_at FROM jobs WHERE done_at IS NULL AND locked_until IS NULL ORDER BY run_at FOR UPDATE',
    );
    // A job due after this point and claimed while the hold lasts was claimed past the held rows.
    const youngest = held.rows.at(-1)?.run_at ?? '';
    const since = [youngest, new Date().toISOString()].sort().at(-1) as string;
    const deadline = Date.now() + HOLD_MAX_MS;
    let skipped = 0;
    let blocked = 0;
    while (skipped < 2 && blocked < 2 && Date.now() < deadline) {
      await sleep(50);
      const r = await watcher.query<{ skipped: string; blocked: string }>(
        `SELECT (SELECT count(DISTINCT locked_by) FROM jobs WHERE run_at > $1 AND locked_by IS NOT NULL) AS skipped,
                (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                   AND wait_event_type = 'Lock'
                   AND (query ILIKE 'select % from "jobs"%' OR query ILIKE 'update "jobs"%')) AS blocked`,
        [since],
      );
      skipped = Number(r.rows[0]?.skipped);
      blocked = Number(r.rows[0]?.blocked);
    }
    await holder.query('COMMIT');
    return { held: held.rowCount ?? 0, skipped, blocked };
  } finally {
    await Promise.all([holder.end(), watcher.end()]);
  }
}

const available = engines();

afterAll(killAllServers);

describe.each(['postgres', 'sqlite'] as const)('two serve processes never process one refund twice (%s)', (engine) => {
  let db: ThrowawayDatabase | undefined;
  let reader: Awaited<ReturnType<typeof openReader>> | undefined;
  afterAll(async () => {
    await killAllServers();
    await reader?.close();
    await db?.drop();
  });

  it.skipIf(!available.includes(engine))(
    'runs every refund job once across both workers: one processing and one succeeded step per refund',
    async () => {
      db = await throwawayDatabase(engine);
      const env = { WORKER: 'on', REFUND_PROCESSING_DELAY_MS: '50' };
      // A migrates and seeds the demo; B starts on the ready database.
      const a = await startServer(db.url, env);
      const b = await startServer(db.url, env);
      const servers: ServerProcess[] = [a, b];

      const statuses: number[] = [];
      const send = async (base: string, method: string, path: string, auth?: string, body?: unknown) => {
        const r = await call(base, method, path, auth, body);
        statuses.push(r.status);
        return r;
      };

      const login = await ok(send(a.base, 'POST', '/api/v1/auth/login', undefined, DEMO.owner), 200);
      const owner = login.token as string;
      const terminals = await ok(send(a.base, 'GET', '/api/v1/terminals', owner), 200);
      const terminal = (terminals.data as Array<{ id: string; serial: string }>).find(
        (t) => t.serial === DEMO.terminal.serial,
      );
      expect(terminal).toBeDefined();
      const key = await ok(
        send(a.base, 'POST', '/api/v1/api-keys', owner, {
          name: 'two-workers',
          scopes: ['refunds:write', 'payments:write', 'read'],
        }),
        201,
      );
      const secret = key.secret as string;

      const paymentIds: string[] = [];
      for (let i = 0; i < SALES; i++) {
        const sale = await ok(
          send(a.base, 'POST', '/api/v1/payments', secret, {
            amount: SALE_AMOUNT,
            card: { number: '4111111111111111' },
            terminalId: terminal?.id,
          }),
          201,
        );
        expect(sale.status).toBe('approved');
        paymentIds.push(sale.id as string);
      }
      // Settled, so that the acquirer's rules approve the refunds and the workers process them.
      await ok(send(a.base, 'POST', `/api/v1/terminals/${terminal?.id}/settle`, owner), 200);

      // Every sale gets 27 refunds of 2.00, shuffled and sent IN_FLIGHT at a time, alternating ports.
      const requests = paymentIds.flatMap((id) => Array.from({ length: REQUESTS_PER_SALE }, () => id));
      for (let i = requests.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [requests[i], requests[j]] = [requests[j] as string, requests[i] as string];
      }
      const accepted = new Map<string, string>(); // refund id → payment id
      const acceptedVia = [0, 0];
      const refused = new Map<string, number>();
      const unexpected: string[] = [];
      let next = 0;
      const hold = async () => {
        if (engine !== 'postgres') return undefined;
        while (next < requests.length / 2) await sleep(10);
        return holdUnclaimedJobs(db?.url as string);
      };
      const [held] = await Promise.all([
        hold(),
        ...Array.from({ length: IN_FLIGHT }, async () => {
          while (next < requests.length) {
            const n = next++;
            const paymentId = requests[n] as string;
            const server = n % 2;
            const r = await send(servers[server]?.base as string, 'POST', '/api/v1/refunds', secret, {
              paymentId,
              amount: REFUND_AMOUNT,
              reason: 'goods_returned',
            });
            if (r.status === 201 && r.json.paymentId === paymentId) {
              accepted.set(r.json.id as string, paymentId);
              acceptedVia[server] = (acceptedVia[server] ?? 0) + 1;
            } else if (r.status === 422 && r.json.code === 'refund_exceeds_refundable') {
              refused.set(paymentId, (refused.get(paymentId) ?? 0) + 1);
            } else unexpected.push(`${r.status} ${JSON.stringify(r.json)}`);
          }
        }),
      ]);
      if (held) {
        expect(held.held, 'rows held').toBeGreaterThan(0);
        expect(Math.max(held.skipped, held.blocked), 'workers that came for the held rows').toBe(2);
      }
      expect(unexpected).toEqual([]);
      expect(accepted.size).toBe(SALES * FITTING);
      for (const id of paymentIds) expect(refused.get(id), id).toBe(REQUESTS_PER_SALE - FITTING);
      for (const n of acceptedVia) expect(n).toBeGreaterThan(0);

      // Both workers settle them: poll the list (either process) until every refund has succeeded.
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      let listed: Array<{ id: string; status: string; amount: number; paymentId: string }> = [];
      for (let poll = 0; ; poll++) {
        listed = [];
        const base = servers[poll % 2]?.base as string;
        for (let cursor: string | null = null; ; ) {
          const qs: string = `limit=100${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await ok(send(base, 'GET', `/api/v1/refunds?${qs}`, secret), 200);
          listed.push(...(page.data as typeof listed));
          cursor = page.nextCursor as string | null;
          if (!cursor) break;
        }
        const mine = listed.filter((r) => accepted.has(r.id));
        if (mine.length === accepted.size && mine.every((r) => r.status === 'succeeded')) break;
        if (Date.now() > deadline) {
          const byStatus: Record<string, number> = {};
          for (const r of mine) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
          throw new Error(
            `refunds not all succeeded after ${SETTLE_TIMEOUT_MS} ms: ${JSON.stringify(byStatus)}\n` +
              `A:\n${a.output()}\nB:\n${b.output()}`,
          );
        }
        await sleep(250);
      }

      // A job is marked done just after its handler commits: wait for the refund jobs' bookkeeping.
      reader = await openReader(engine, db.url);
      const refundIdOf = (job: Row) => (JSON.parse(job.payload as string) as { refundId: string }).refundId;
      const refundJobs = async () =>
        (
          (await reader?.all(
            `SELECT id, kind, payload, attempts, locked_by, locked_until, last_error, done_at FROM jobs
           WHERE kind IN (${REFUND_JOBS.map((k) => `'${k}'`).join(', ')})`,
          )) ?? []
        ).filter((j) => accepted.has(refundIdOf(j)));
      let jobs = await refundJobs();
      while (jobs.some((j) => j.done_at === null) && Date.now() < deadline + 5_000) {
        await sleep(100);
        jobs = await refundJobs();
      }

      for (const r of await Promise.all(
        paymentIds.map((id) => ok(send(a.base, 'GET', `/api/v1/payments/${id}`, secret), 200)),
      )) {
        expect(r).toMatchObject({ amount: SALE_AMOUNT, refundedAmount: SALE_AMOUNT, pendingRefundAmount: 0 });
      }

      // Both processes stop before the tables are read: nothing moves under the assertions.
      await Promise.all(servers.map((s) => killHard(s.child)));
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      for (const s of servers) expect(s.output()).not.toMatch(/"level":(50|60)/);

      // Every refund job: exactly one per refund and kind, claimed once (attempts counts claims),
      // never failed, done. A job claimed by two workers at once shows as attempts 2.
      jobs = await refundJobs();
      const jobsOf = new Map<string, string[]>();
      const irregular = jobs
        .filter(
          (j) => Number(j.attempts) !== 1 || j.last_error !== null || j.done_at === null || j.locked_until !== null,
        )
        .map((j) => `${j.kind} ${j.id}: attempts ${j.attempts}, done ${j.done_at}, error ${j.last_error}`);
      expect(irregular, `${irregular.length} of ${jobs.length} refund jobs not run exactly once`).toEqual([]);
      for (const j of jobs) {
        jobsOf.set(refundIdOf(j), [...(jobsOf.get(refundIdOf(j)) ?? []), j.kind as string]);
      }
      expect(jobsOf.size).toBe(accepted.size);
      for (const id of accepted.keys()) expect(jobsOf.get(id)?.sort(), id).toEqual(REFUND_JOBS);

      // Both workers took part, and no third claimer did.
      const perWorker = new Map<string, number>();
      for (const j of jobs) perWorker.set(j.locked_by as string, (perWorker.get(j.locked_by as string) ?? 0) + 1);
      expect([...perWorker.keys()], JSON.stringify(Object.fromEntries(perWorker))).toHaveLength(2);
      for (const [worker, n] of perWorker) expect(n, worker).toBeGreaterThanOrEqual(jobs.length / 20);

      // One step per status per refund: created (pending_acquirer), processing, succeeded.
      const steps = new Map<string, string[]>();
      for (const e of await reader.all('SELECT refund_id, from_status, to_status FROM refund_events')) {
        const id = e.refund_id as string;
        if (!accepted.has(id)) continue;
        steps.set(id, [...(steps.get(id) ?? []), `${e.from_status ?? ''}>${e.to_status}`]);
      }
      expect(steps.size).toBe(accepted.size);
      for (const id of accepted.keys()) {
        expect(steps.get(id)?.sort(), id).toEqual([
          '>pending_acquirer',
          'pending_acquirer>processing',
          'processing>succeeded',
        ]);
      }

      // The refunds themselves: all succeeded with their own processor reference, within each sale.
      const mySales = paymentIds.map((id) => `'${id}'`).join(', ');
      const rows = await reader.all(
        `SELECT id, payment_id, amount, status, processor_reference FROM refunds WHERE payment_id IN (${mySales})`,
      );
      expect(rows).toHaveLength(accepted.size);
      const references = new Set<unknown>();
      const succeededSum = new Map<string, number>();
      for (const r of rows) {
        expect(r.status, r.id as string).toBe('succeeded');
        expect(r.payment_id).toBe(accepted.get(r.id as string));
        expect(r.processor_reference).toEqual(expect.any(String));
        references.add(r.processor_reference);
        succeededSum.set(r.payment_id as string, (succeededSum.get(r.payment_id as string) ?? 0) + Number(r.amount));
      }
      expect(references.size).toBe(rows.length);
      const sales = await reader.all(`SELECT id, amount FROM payments WHERE id IN (${mySales})`);
      expect(sales).toHaveLength(SALES);
      for (const p of sales) {
        expect(succeededSum.get(p.id as string), p.id as string).toBeLessThanOrEqual(Number(p.amount));
        expect(succeededSum.get(p.id as string), p.id as string).toBe(SALE_AMOUNT);
      }
    },
    90_000,
  );
});
