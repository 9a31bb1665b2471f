/**
 * `npx tsx bench/statements.ts [refunds]`: the SQL statements one API-key refund costs, counted
 * and timed with the connection's `onQuery` hook — the request's, and the worker's jobs' (review, processing,
 * the owner's e-mail). Deterministic, unlike timings: a change that adds a statement shows here.
 * In process, on a throwaway SQLite file; not a test.
 */
import { join } from 'node:path';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { drainJobs } from '../src/jobs/job.service.js';
import { openContext } from '../src/runtime.js';
import { seedDemo } from '../src/seed/demo.js';
import { makeTempDir, removeTempDirs } from './procs.js';
import { call, prepareRefundDesk, settleDemoTerminal } from './refunddesk-setup.js';

const N = Number(process.argv[2] ?? 20);
let phase: 'setup' | 'request' | 'jobs' = 'setup';
/** Per phase, per SQL text (its first 100 characters): how many ran, and their time in ms. */
type Tally = Map<string, { n: number; ms: number }>;
const counts: Record<'request' | 'jobs', Tally> = { request: new Map(), jobs: new Map() };
const config = {
  ...loadConfig({}),
  databaseUrl: join(makeTempDir(), 's.db'),
  logLevel: 'silent',
  worker: false,
  refundProcessingDelayMs: 0,
  admissionMaxWaitingJobs: 0,
};
const { db, ctx } = await openContext(config, systemClock, {
  onQuery: (sql, _parameters, ms) => {
    if (phase === 'setup') return;
    const m = counts[phase];
    const key = sql.replace(/\s+/g, ' ').slice(0, 100);
    const t = m.get(key) ?? { n: 0, ms: 0 };
    t.n++;
    t.ms += ms;
    m.set(key, t);
  },
});
await seedDemo(db, ctx);
const app = await buildApp(db, ctx);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
const setup = await prepareRefundDesk(url, N);
await settleDemoTerminal(url, setup.terminalId);
await drainJobs(db, ctx);

phase = 'request';
for (const paymentId of setup.paymentIds) {
  await call(url, 'POST', '/api/v1/refunds', {
    token: setup.refundKey,
    body: { paymentId, amount: 1, reason: 'other' },
    expect: 201,
  });
}
phase = 'jobs';
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await drainJobs(db, ctx);
const drained = { ms: performance.now() - t0, cpu: process.cpuUsage(cpu0) };
phase = 'setup';
await app.close();
await db.close();

// The time is each statement's as Kysely measures it (the driver's call, on the event loop), one
// refund at a time: which statements cost, not a throughput figure.
const us = (ms: number) => `${Math.round((ms * 1000) / N)} µs`.padStart(8);
console.log(
  `jobs drained in ${Math.round(drained.ms)} ms, process CPU ${Math.round((drained.cpu.user + drained.cpu.system) / N)} µs per refund`,
);
for (const [name, m] of Object.entries(counts)) {
  const total = [...m.values()].reduce((a, b) => ({ n: a.n + b.n, ms: a.ms + b.ms }), { n: 0, ms: 0 });
  console.log(`${name}: ${(total.n / N).toFixed(1)} statements per refund, ${us(total.ms).trim()} in them`);
  for (const [sql, t] of [...m].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${(t.n / N).toFixed(1).padStart(5)} ${us(t.ms)}  ${sql}`);
  }
}
removeTempDirs();
