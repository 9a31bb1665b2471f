/**
 * `npm run bench:backup` (issue 11): backup and restore times and peak memory for 100,000 and
 * 1,000,000 payments (a benchmark, not a test).
 *
 *   [TEST_DATABASE_URL=postgres://… to also restore into PostgreSQL] npm run bench:backup [-- 100000,1000000]
 *
 * For each size (the argument, else BENCH_BACKUP, default "100000,1000000") a fresh child process
 * builds a SQLite database with the demo data plus that many payments by bulk insert (copies of one
 * demo sale with new ids and references, not through the API), then times `createBackup` (plain,
 * then encrypted), `verifyBackup` of the encrypted file and `restoreBackup` (which verifies the
 * file, loads it and checks the target) into a fresh SQLite file and, when TEST_DATABASE_URL is
 * set, a fresh PostgreSQL database, sampling the process's resident memory every 20 ms. One child
 * per size, so one size's heap does not inflate the next one's peak. The streamed design keeps the
 * peak flat in N.
 */

import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackup, verifyBackup } from '../src/backups/backup.service.js';
import { restoreBackup } from '../src/backups/restore.service.js';
import { throwawayDatabase } from '../test/support/engines.js';
import { demoWithPayments } from './bulk-payments.js';
import { installCleanup, makeTempDir, removeTempDirs } from './procs.js';
import { fmt, table } from './report.js';

const PASSPHRASE = 'bench passphrase';
const MiB = 1024 * 1024;

interface Step {
  label: string;
  /** Its column in the closing table. */
  column: string;
  seconds: number;
  /** The process's resident memory at its highest during the step, in MiB. */
  peakMiB: number;
}

interface SizeResult {
  payments: number;
  fillSeconds: number;
  steps: Step[];
  plainMiB: number;
  encryptedMiB: number;
}

/** Times `fn` and samples this process's RSS every 20 ms while it runs. */
async function measure<T>(
  steps: Step[],
  [label, column]: [string, string],
  n: number,
  fn: () => Promise<T>,
): Promise<T> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    steps.push({ label, column, seconds, peakMiB: peak / MiB });
    console.log(
      `  ${label.padEnd(36)} ${seconds.toFixed(2).padStart(8)} s  ${fmt.n(n / seconds).padStart(9)} payments/s  peak RSS ${fmt.n(peak / MiB)} MiB`,
    );
  }
}

/** One size, in this (child) process. */
async function runSize(n: number): Promise<SizeResult> {
  installCleanup();
  const dir = makeTempDir();
  const secretKey = randomBytes(32).toString('hex');
  const source = join(dir, 'source.db');
  const fillSeconds = await demoWithPayments(source, n, {
    secretKey,
    firstReference: 100_000_000_000,
    payment: (i) => ({
      amount: 100 + (i % 9000),
      captured_amount: 100 + (i % 9000),
      refunded_amount: 0,
      reserved_amount: 0,
    }),
  });
  console.log(`${fmt.n(n)} payments (bulk-inserted in ${fillSeconds.toFixed(1)} s):`);
  const steps: Step[] = [];
  const config = { databaseUrl: source, secretKey };
  const plain = await measure(steps, ['backup', 'backup s'], n, () =>
    createBackup(config, join(dir, 'plain.rdbackup')),
  );
  const enc = await measure(steps, ['backup (encrypted)', 'encrypted s'], n, () =>
    createBackup(config, join(dir, 'enc.rdbackup'), { passphrase: PASSPHRASE }),
  );
  await measure(steps, ['verify (encrypted)', 'verify s'], n, () => verifyBackup(enc.file, { passphrase: PASSPHRASE }));
  await measure(steps, ['restore → SQLite (encrypted file)', '→ SQLite s'], n, () =>
    restoreBackup(enc.file, join(dir, 'restored.db'), { passphrase: PASSPHRASE, secretKey }),
  );
  if (process.env.TEST_DATABASE_URL) {
    const target = await throwawayDatabase('postgres');
    try {
      await measure(steps, ['restore → PostgreSQL (plain file)', '→ PostgreSQL s'], n, () =>
        restoreBackup(plain.file, target.url, { secretKey }),
      );
    } finally {
      await target.drop();
    }
  }
  const result: SizeResult = {
    payments: n,
    fillSeconds,
    steps,
    plainMiB: statSync(plain.file).size / MiB,
    encryptedMiB: statSync(enc.file).size / MiB,
  };
  console.log(`  file size: ${result.plainMiB.toFixed(1)} MiB plain, ${result.encryptedMiB.toFixed(1)} MiB encrypted`);
  removeTempDirs();
  return result;
}

/** Runs one size in a fresh child process (with --expose-gc) and returns what it measured. */
function inChild(n: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--one', String(n)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: 'inherit',
    });
    let result: SizeResult | undefined;
    child.on('message', (m) => {
      result = m as SizeResult;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`the run of ${n} payments exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? process.env.BENCH_BACKUP ?? '100000,1000000').split(',').map(Number);
  if (!sizes.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`sizes must be positive integers: ${sizes}`);
  console.log(
    `RefundDesk backups: ${sizes.map(fmt.n).join(' and ')} payments${process.env.TEST_DATABASE_URL ? '' : ' (TEST_DATABASE_URL unset: no PostgreSQL restore)'}\n`,
  );
  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await inChild(n));
  console.log(
    `\n${table(
      ['payments', ...results[0].steps.map((s) => s.column), 'peak RSS MiB', 'file MiB plain / enc.'],
      results.map((r) => [
        fmt.n(r.payments),
        ...r.steps.map((s) => s.seconds.toFixed(1)),
        fmt.n(Math.max(...r.steps.map((s) => s.peakMiB))),
        `${r.plainMiB.toFixed(1)} / ${r.encryptedMiB.toFixed(1)}`,
      ]),
    )}`,
  );
}

const one = process.argv.indexOf('--one');
(one >= 0
  ? runSize(Number(process.argv[one + 1])).then((r) => process.send?.(r, () => process.disconnect()))
  : main()
).catch((e) => {
  console.error(`\nbenchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
