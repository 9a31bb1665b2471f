/**
 * `npx tsx bench/statements.ts [refunds]`: the SQL statements one API-key refund costs, counted
 * with the connection's `onQuery` hook — the request's, and the worker's jobs' (review, processing,
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
const counts = { request: new Map<string, number>(), jobs: new Map<string, number>() };
const config = {
  ...loadConfig({}),
  databaseUrl: join(makeTempDir(), 's.db'),
  logLevel: 'silent',
  worker: false,
  refundProcessingDelayMs: 0,
  admissionMaxWaitingJobs: 0,
};
const { db, ctx } = await openContext(config, systemClock, {
  onQuery: (sql) => {
    if (phase === 'setup') return;
    const m = counts[phase];
    const key = sql.replace(/\s+/g, ' ').slice(0, 100);
    m.set(key, (m.get(key) ?? 0) + 1);
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
await drainJobs(db, ctx);
phase = 'setup';
await app.close();
await db.close();

for (const [name, m] of Object.entries(counts)) {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`${name}: ${(total / N).toFixed(1)} statements per refund`);
  for (const [sql, n] of [...m].sort((a, b) => b[1] - a[1])) console.log(`  ${(n / N).toFixed(1).padStart(5)}  ${sql}`);
}
removeTempDirs();
