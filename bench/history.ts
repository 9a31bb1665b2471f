/**
 * `npm run bench:history` (issue 12, target 4): refund creation stays as fast with a million
 * payments behind it as with ten thousand. For each size (BENCH_HISTORY, default "10000,1000000")
 * a RefundDesk SQLite database gets the demo data, then that many payments and as many succeeded
 * refunds by bulk insert (not through the API: copies of a demo sale with new ids and references,
 * each refunded by 1), a compiled server on it, 1,000 fresh sales through the API, and the same
 * API-key refund load as `npm run bench` (32 connections, BENCH_DURATION s, after a warm-up).
 * p50 and p99 at the largest size must be within ±20 % of the smallest's. Not a test, out of CI.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { newId } from '../src/ids.js';
import { demoWithPayments } from './bulk-payments.js';
import { type LoadResult, type Rotation, refundLoad } from './load.js';
import {
  buildServer,
  freePort,
  installCleanup,
  makeTempDir,
  removeTempDirs,
  SERVER_ENTRY,
  startServer,
} from './procs.js';
import { prepareRefundDesk } from './refunddesk-setup.js';
import { fmt, table } from './report.js';
import { settings as S } from './settings.js';

const SIZES = (process.env.BENCH_HISTORY ?? '10000,1000000').split(',').map(Number);

/** The demo, then `n` payments and `n` refunds of 1 copied from a demo sale, in one transaction. */
function historyDb(file: string, n: number): Promise<number> {
  return demoWithPayments(file, n, {
    secretKey: randomBytes(32).toString('hex'),
    firstReference: 200_000_000_000,
    payment: () => ({ refunded_amount: 1, reserved_amount: 0 }),
    alongside: (sqlite, sale) => {
      const insertRefund = sqlite.prepare(
        `INSERT INTO refunds (id, payment_id, merchant_id, amount, currency, reason, status, channel, created_at,
           updated_at, failure_final, processor_reference)
         VALUES (@id, @payment_id, @merchant_id, 1, @currency, 'other', 'succeeded', 'api', @at, @at, 0, @trace)`,
      );
      return (paymentId, i) =>
        insertRefund.run({
          id: newId('re'),
          payment_id: paymentId,
          merchant_id: sale.merchant_id,
          currency: sale.currency,
          at: sale.created_at,
          trace: `TRC${i}`,
        });
    },
  });
}

async function measure(n: number): Promise<LoadResult> {
  const dir = makeTempDir();
  const file = join(dir, `history-${n}.db`);
  const seconds = await historyDb(file, n);
  console.log(`  ${fmt.n(n)} payments and refunds inserted in ${seconds.toFixed(1)}s`);
  const server = await startServer(
    `RefundDesk (${fmt.n(n)})`,
    SERVER_ENTRY,
    ['serve'],
    { DATABASE_URL: file, LOG_LEVEL: 'warn', WORKER: 'off', ADMISSION_MAX_WAITING_JOBS: '0' },
    await freePort(),
  );
  try {
    const setup = await prepareRefundDesk(server.url, S.sales);
    const run = (duration: number) =>
      refundLoad({
        url: server.url,
        token: setup.refundKey,
        connections: S.connections,
        duration,
        rotation: { ids: setup.paymentIds, next: 0 } as Rotation,
      }).done;
    if (S.warmup > 0) await run(S.warmup);
    const r = await run(S.duration);
    console.log(
      `  ${fmt.n(r.okPerSecond)} refunds/s, p50 ${fmt.ms(r.latency.p50)} ms, p99 ${fmt.ms(r.latency.p99)} ms`,
    );
    return r;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  installCleanup();
  buildServer();
  const results: Array<[number, LoadResult]> = [];
  for (const n of SIZES) {
    console.log(`history of ${fmt.n(n)}:`);
    results.push([n, await measure(n)]);
  }
  removeTempDirs();
  const [, base] = results[0];
  console.log(
    `\n${table(
      ['payments behind', 'refunds/s', 'p50 ms', 'p99 ms', 'p50 vs smallest', 'p99 vs smallest'],
      results.map(([n, r]) => [
        fmt.n(n),
        fmt.n(r.okPerSecond),
        fmt.ms(r.latency.p50),
        fmt.ms(r.latency.p99),
        fmt.x(r.latency.p50 / base.latency.p50),
        fmt.x(r.latency.p99 / base.latency.p99),
      ]),
    )}`,
  );
  const [, largest] = results[results.length - 1];
  const within = (a: number, b: number) => a / b >= 0.8 && a / b <= 1.2;
  const flat = within(largest.latency.p50, base.latency.p50) && within(largest.latency.p99, base.latency.p99);
  console.log(`${flat ? 'met ' : 'MISS'}  4. p50 and p99 within ±20 % from the smallest history to the largest`);
}

main().catch((e) => {
  console.error(`\nbenchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
