/**
 * `npm run bench:postgres` (issue 12, target 6): API-key refunds on PostgreSQL with one `serve`
 * process, then with two on the same database (the load split between them), while the money
 * checker (`npm run soak -- --engine postgres`) runs beside it on its own database of the same
 * server. Prints both rates and their ratio (goal ≥ 0.9×: this machine's 2 cores carry PostgreSQL,
 * both servers and the load generator) and the checker's verdict. Needs TEST_DATABASE_URL (a
 * throwaway database is made there). Not a test, out of CI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { throwawayDatabase } from '../test/support/engines.js';
import { combine, type LoadResult, type Rotation, refundLoad } from './load.js';
import { buildServer, freePort, installCleanup, SERVER_ENTRY, type Server, startServer } from './procs.js';
import { prepareRefundDesk } from './refunddesk-setup.js';
import { fmt, table } from './report.js';
import { settings as S } from './settings.js';

function checker(seconds: number): { child: ChildProcess; done: Promise<{ code: number | null; verdict: string }> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/money/soak.ts', '--engine', 'postgres', '--seconds', String(seconds)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const done = new Promise<{ code: number | null; verdict: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, verdict: out.trim().split('\n').slice(-3).join(' | ') })),
  );
  return { child, done };
}

async function main(): Promise<void> {
  if (!process.env.TEST_DATABASE_URL) throw new Error('bench:postgres needs TEST_DATABASE_URL=postgres://…');
  installCleanup();
  buildServer();
  const tdb = await throwawayDatabase('postgres');
  const env = { DATABASE_URL: tdb.url, LOG_LEVEL: 'warn', WORKER: 'off', ADMISSION_MAX_WAITING_JOBS: '0' };
  const start = async (name: string) => startServer(name, SERVER_ENTRY, ['serve'], env, await freePort());
  const servers: Server[] = [];
  try {
    const first = await start('RefundDesk 1');
    servers.push(first);
    const setup = await prepareRefundDesk(first.url, S.sales);
    const half = Math.ceil(setup.paymentIds.length / 2);
    const load = (server: Server, connections: number, ids: string[], duration: number) =>
      refundLoad({
        url: server.url,
        token: setup.refundKey,
        connections,
        duration,
        rotation: { ids, next: 0 } as Rotation,
      }).done;
    const total = S.warmup * 2 + S.duration * 2 + 30;
    const money = checker(total);
    console.log(`PostgreSQL, ${S.connections} connections, ${S.duration}s each; the money checker runs beside it`);

    if (S.warmup > 0) await load(first, S.connections, setup.paymentIds, S.warmup);
    const one = await load(first, S.connections, setup.paymentIds, S.duration);
    console.log(`  one process: ${fmt.n(one.okPerSecond)} refunds/s, p99 ${fmt.ms(one.latency.p99)} ms`);

    const second = await start('RefundDesk 2');
    servers.push(second);
    const split = (duration: number) =>
      Promise.all([
        load(first, S.connections / 2, setup.paymentIds.slice(0, half), duration),
        load(second, S.connections / 2, setup.paymentIds.slice(half), duration),
      ]);
    if (S.warmup > 0) await split(S.warmup);
    const [a, b] = await split(S.duration);
    const two: LoadResult = { ...combine([a, b]), seconds: S.duration };
    two.okPerSecond = (a.ok + b.ok) / S.duration;
    console.log(`  two processes: ${fmt.n(two.okPerSecond)} refunds/s, p99 ${fmt.ms(two.latency.p99)} ms`);

    const verdict = await money.done;
    const ratio = two.okPerSecond / one.okPerSecond;
    console.log(
      `\n${table(
        ['serve processes', 'refunds/s', 'p50 ms', 'p99 ms', 'non-2xx'],
        [
          ['1', fmt.n(one.okPerSecond), fmt.ms(one.latency.p50), fmt.ms(one.latency.p99), String(one.non2xx)],
          ['2', fmt.n(two.okPerSecond), fmt.ms(two.latency.p50), fmt.ms(two.latency.p99), String(two.non2xx)],
        ],
      )}`,
    );
    console.log(`two ÷ one: ${fmt.x(ratio)}`);
    console.log(`${ratio >= 0.9 ? 'met ' : 'MISS'}  6. two processes ≥ 0.9× one`);
    console.log(`${verdict.code === 0 ? 'met ' : 'MISS'}  6. money checker beside it: ${verdict.verdict}`);
    if (one.non2xx + two.non2xx > 0 || verdict.code !== 0) process.exitCode = 1;
  } finally {
    for (const s of servers) await s.stop();
    await tdb.drop();
  }
}

main().catch((e) => {
  console.error(`\nbenchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
