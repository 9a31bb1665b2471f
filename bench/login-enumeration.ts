/**
 * Issue 8 #3: does a console login take the same time whether or not the e-mail has an account?
 * `npx tsx bench/login-enumeration.ts` (not a test: timing on a shared machine is not a pass/fail
 * signal for CI; src/auth/login-enumeration.test.ts asserts the structure — status, body and argon2
 * verification count). Both kinds are interleaved, so drift falls on both alike, in two states:
 * before the lock (the count cleared before every pair) and while both are locked. Exits non-zero
 * when a median differs by more than BENCH_LOGIN_TOLERANCE (default 0.2 = 20 %).
 *
 * Knobs: BENCH_LOGIN_RUNS (pairs per state, default 200), BENCH_LOGIN_TOLERANCE.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { openContext } from '../src/runtime.js';
import { DEMO, seedDemo } from '../src/seed/demo.js';
import { summarise } from './stats.js';

const runs = Number(process.env.BENCH_LOGIN_RUNS ?? 200);
const tolerance = Number(process.env.BENCH_LOGIN_TOLERANCE ?? 0.2);
const dir = mkdtempSync(join(tmpdir(), 'refunddesk-bench-login-'));
const { db, ctx } = await openContext({
  ...loadConfig({}),
  databaseUrl: join(dir, 'bench.db'),
  logLevel: 'silent',
  worker: false,
  secretKey: randomBytes(32).toString('hex'),
});
const app = await buildApp(db, ctx);
await seedDemo(db, ctx);

const KNOWN = DEMO.owner.email;
const UNKNOWN = 'nobody-here@merchant.demo';
async function timed(email: string): Promise<number> {
  const t0 = performance.now();
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: 'Wrong-Pass-1!' },
  });
  const ms = performance.now() - t0;
  if (r.statusCode !== 401) throw new Error(`expected 401, got ${r.statusCode} ${r.body}`);
  return ms;
}

const results: Array<{ state: string; known: number; unknown: number; ratio: number }> = [];
for (const state of ['before the lock', 'while locked'] as const) {
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 10; i++) await Promise.all([timed(KNOWN), timed(UNKNOWN)]); // warm-up (and lock)
  for (let i = 0; i < runs; i++) {
    if (state === 'before the lock') await db.kysely.deleteFrom('secret_lockouts').execute();
    // Alternate which goes first, so neither always follows the other.
    if (i % 2 === 0) {
      known.push(await timed(KNOWN));
      unknown.push(await timed(UNKNOWN));
    } else {
      unknown.push(await timed(UNKNOWN));
      known.push(await timed(KNOWN));
    }
  }
  const k = summarise(known).p50;
  const u = summarise(unknown).p50;
  results.push({ state, known: k, unknown: u, ratio: k / u });
}
await app.close();
await db.close();
rmSync(dir, { recursive: true, force: true });

console.log(`console login, wrong password, ${runs} interleaved pairs per state (median ms)`);
console.log('state            | known e-mail | unknown e-mail | known / unknown');
for (const r of results) {
  console.log(
    `${r.state.padEnd(16)} | ${r.known.toFixed(2).padStart(12)} | ${r.unknown.toFixed(2).padStart(14)} | ${r.ratio.toFixed(3).padStart(15)}`,
  );
}
const off = results.filter((r) => Math.abs(r.ratio - 1) > tolerance);
if (off.length > 0) {
  console.error(`medians differ by more than ${tolerance * 100} % in: ${off.map((r) => r.state).join(', ')}`);
  process.exitCode = 1;
}
