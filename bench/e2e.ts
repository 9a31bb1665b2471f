/**
 * `npm run bench:e2e` (issue 12, target 3): refunds reach `succeeded` as fast as they are created.
 * One compiled RefundDesk with its worker on (processing delay 0) takes API-key refunds at 32
 * connections for BENCH_E2E_SECONDS (default 60); every 2 s the benchmark scrapes /metrics for the
 * outbox's backlog (jobs due) and the refunds created and succeeded so far. Both judgements are of
 * the last two thirds, after the first third has filled the outbox to the depth admission control
 * holds it at: the backlog must stay flat (its mean over the last third no more than 1.5× its mean
 * over the middle third, +50 jobs of slack), and refunds must succeed at ≥ 0.9× the rate they are
 * created. After the load
 * stops, how long the backlog takes to drain. Not a test, and out of CI.
 *
 * Target 3 asks for this at target 2's rate: first, in the same run, a RefundDesk with its worker
 * off takes the same load for BENCH_E2E_BASELINE_SECONDS (default 15) on a database of its own —
 * the request path alone, what `npm run bench` measures — and the succeeded rate is printed as a
 * ratio of it.
 *
 * `BENCH_E2E_WORKER=process`: the worker runs in a second `serve` process on the same database
 * (the first one has WORKER=off and takes the load), as a deployment on a machine with cores to
 * spare would run it; the counters of both processes are summed.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { refundLoad } from './load.js';
import {
  buildServer,
  freePort,
  installCleanup,
  makeTempDir,
  removeTempDirs,
  SERVER_ENTRY,
  startServer,
} from './procs.js';
import { prepareRefundDesk, settleDemoTerminal } from './refunddesk-setup.js';
import { fmt, metric } from './report.js';
import { cpuSeconds, machineCpuSeconds } from './rss.js';
import { sleep } from './stats.js';

const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SALES = Number(process.env.BENCH_SALES ?? 1000);
const WORKER_PROCESS = process.env.BENCH_E2E_WORKER === 'process';
const BASELINE_SECONDS = Number(process.env.BENCH_E2E_BASELINE_SECONDS ?? 15);

/** Server and machine CPU seconds, to tell what each refund costs and whether the machine was full. */
function cpuNow(pids: number[]) {
  return { server: pids.reduce((a, pid) => a + cpuSeconds(pid), 0), ...machineCpuSeconds() };
}
type CpuReading = ReturnType<typeof cpuNow>;
/** CPU ms per refund (the server's, the whole machine's) and the machine's busy cores, between two readings. */
function cpuPer(from: CpuReading, to: CpuReading, refunds: number) {
  const cores = availableParallelism();
  return {
    serverMs: ((to.server - from.server) / refunds) * 1000,
    machineMs: ((to.busy - from.busy) / refunds) * 1000,
    busyCores: ((to.busy - from.busy) / (to.all - from.all)) * cores,
  };
}

/** Refunds/s of the request path alone (worker off, admission control off, its own database), and its CPU. */
async function requestPathRate(dir: string) {
  const alone = await startServer(
    'RefundDesk (worker off)',
    SERVER_ENTRY,
    ['serve'],
    { DATABASE_URL: join(dir, 'alone.db'), LOG_LEVEL: 'warn', WORKER: 'off', ADMISSION_MAX_WAITING_JOBS: '0' },
    await freePort(),
  );
  const setup = await prepareRefundDesk(alone.url, SALES);
  await settleDemoTerminal(alone.url, setup.terminalId);
  const cpu0 = cpuNow([alone.child.pid ?? 0]);
  const result = await refundLoad({
    url: alone.url,
    token: setup.refundKey,
    connections: CONNECTIONS,
    duration: BASELINE_SECONDS,
    rotation: { ids: setup.paymentIds, next: 0 },
  }).done;
  const cpu = cpuPer(cpu0, cpuNow([alone.child.pid ?? 0]), result.ok);
  await alone.stop();
  return { rate: result.ok / result.seconds, cpu };
}

interface Sample {
  at: number;
  due: number;
  created: number;
  succeeded: number;
  cpu: CpuReading;
}

async function main(): Promise<void> {
  installCleanup();
  buildServer();
  const dir = makeTempDir();
  const { rate: alone, cpu: aloneCpu } = await requestPathRate(dir);
  console.log(
    `the request path alone (worker off, ${BASELINE_SECONDS}s): ${fmt.n(alone)} refunds/s, ` +
      `${aloneCpu.serverMs.toFixed(2)} server CPU ms and ${aloneCpu.machineMs.toFixed(2)} machine CPU ms a refund, ` +
      `${aloneCpu.busyCores.toFixed(2)} of ${availableParallelism()} cores busy`,
  );
  const env = { DATABASE_URL: join(dir, 'e2e.db'), LOG_LEVEL: 'warn', REFUND_PROCESSING_DELAY_MS: '0' };
  const server = await startServer(
    WORKER_PROCESS ? 'RefundDesk (worker off)' : 'RefundDesk (worker on)',
    SERVER_ENTRY,
    ['serve'],
    WORKER_PROCESS ? { ...env, WORKER: 'off' } : env,
    await freePort(),
  );
  // Started after the first has migrated and seeded the database.
  const workerServer = WORKER_PROCESS
    ? await startServer('RefundDesk (worker)', SERVER_ENTRY, ['serve'], env, await freePort())
    : undefined;
  const servers = workerServer ? [server, workerServer] : [server];
  const setup = await prepareRefundDesk(server.url, SALES);
  await settleDemoTerminal(server.url, setup.terminalId);
  const scrape = async (): Promise<Sample> => {
    const texts = await Promise.all(servers.map(async (s) => (await fetch(`${s.url}/metrics`)).text()));
    const sum = (name: string, labels = '') => texts.reduce((a, t) => a + metric(t, name, labels), 0);
    return {
      cpu: cpuNow(servers.map((s) => s.child.pid ?? 0)),
      at: performance.now() / 1000,
      due: metric(texts[0], 'refunddesk_jobs_backlog', 'state="due"'), // read from the shared database
      created: sum('refunddesk_refunds_created_total'),
      succeeded: sum('refunddesk_refund_outcomes_total', 'outcome="succeeded"'),
    };
  };
  // Let the sales' own jobs drain first, so the run starts from an empty outbox.
  for (let s = await scrape(); s.due > 0; s = await scrape()) await sleep(500);

  console.log(
    `RefundDesk end to end: ${CONNECTIONS} connections, ${SECONDS}s of API-key refunds, ` +
      (WORKER_PROCESS ? 'the worker in a second process' : 'worker on'),
  );
  const samples: Sample[] = [await scrape()];
  const load = refundLoad({
    url: server.url,
    token: setup.refundKey,
    connections: CONNECTIONS,
    duration: SECONDS,
    rotation: { ids: setup.paymentIds, next: 0 },
  });
  let loading = true;
  void load.done.then(() => {
    loading = false;
  });
  while (loading) {
    await sleep(2000);
    const s = await scrape();
    samples.push(s);
    console.log(
      `  t=${(s.at - samples[0].at).toFixed(0)}s backlog ${s.due}, created ${s.created}, succeeded ${s.succeeded}`,
    );
  }
  const result = await load.done;
  const stopped = performance.now() / 1000;
  let last = await scrape();
  while (last.due > 0 && performance.now() / 1000 - stopped < 120) {
    await sleep(500);
    last = await scrape();
  }
  const drainSeconds = performance.now() / 1000 - stopped;
  await Promise.all(servers.map((s) => s.stop()));
  removeTempDirs();

  const during = samples.slice(1);
  const third = Math.max(1, Math.floor(during.length / 3));
  const mean = (xs: Sample[]) => xs.reduce((a, s) => a + s.due, 0) / xs.length;
  const early = mean(during.slice(third, 2 * third));
  const late = mean(during.slice(-third));
  const span = during[during.length - 1];
  const rate = (from: Sample, key: 'created' | 'succeeded') => (span[key] - from[key]) / (span.at - from.at);
  const createdRate = rate(samples[0], 'created');
  const succeededRate = rate(samples[0], 'succeeded');
  // Steady state: from the end of the first third, once the outbox has filled to the depth
  // admission control holds it at (a one-time fill, drained after the load stops).
  const steady = during[third - 1];
  const steadyCreated = rate(steady, 'created');
  const steadySucceeded = rate(steady, 'succeeded');
  const flat = late <= early * 1.5 + 50;
  const keepsUp = steadySucceeded >= 0.9 * steadyCreated;
  const atRate = steadySucceeded / alone;
  // What a refund's whole life (request and jobs) costs in the steady state, against its request
  // alone: with the machine already full running the request path alone, succeeded ÷ the request
  // path alone can reach at most (cores ÷ cores busy then) × (request's CPU ÷ whole life's CPU).
  const lifeCpu = cpuPer(steady.cpu, span.cpu, span.succeeded - steady.succeeded);
  const ceiling = (availableParallelism() / aloneCpu.busyCores) * (aloneCpu.machineMs / lifeCpu.machineMs);
  console.log(
    [
      '',
      `refunds created ${fmt.n(createdRate)}/s, succeeded ${fmt.n(succeededRate)}/s (${fmt.x(succeededRate / createdRate)}) over the run; ` +
        `201s ${fmt.n(result.ok)}, non-2xx ${result.non2xx}, p99 ${fmt.ms(result.latency.p99)} ms`,
      `steady state (last two thirds): created ${fmt.n(steadyCreated)}/s, succeeded ${fmt.n(steadySucceeded)}/s (${fmt.x(steadySucceeded / steadyCreated)})`,
      'creation is held to the pace the worker keeps by admission control (ADMISSION_MAX_WAITING_JOBS, 2,000 jobs);',
      `the request path alone (target 2's rate), measured first in this run: ${fmt.n(alone)} refunds/s; succeeded in the steady state ÷ that: ${fmt.x(atRate)}`,
      `CPU a refund, steady state (request and jobs, per refund succeeded): server ${lifeCpu.serverMs.toFixed(2)} ms ` +
        `(${fmt.x(lifeCpu.serverMs / aloneCpu.serverMs)} the request alone), machine ${lifeCpu.machineMs.toFixed(2)} ms ` +
        `(${fmt.x(lifeCpu.machineMs / aloneCpu.machineMs)}); ${lifeCpu.busyCores.toFixed(2)} of ${availableParallelism()} cores busy`,
      `so on this machine succeeded ÷ the request path alone can reach at most ${fmt.x(ceiling)} ` +
        `(cores ÷ cores busy running the request path alone × its machine CPU ÷ a whole life's)`,
      `backlog (jobs due): middle third mean ${fmt.n(early)}, last third mean ${fmt.n(late)}; drained ${drainSeconds.toFixed(1)}s after the load stopped`,
      `${flat ? 'met ' : 'MISS'}  3. backlog flat (last third ≤ 1.5× middle third + 50)`,
      `${keepsUp ? 'met ' : 'MISS'}  3. refunds succeed as fast as they are created, steady state (≥ 0.9×)`,
      `${atRate >= 0.9 ? 'met ' : 'MISS'}  3. at target 2's rate: succeeded ≥ 0.9× the request path alone (${fmt.x(atRate)})`,
    ].join('\n'),
  );
  if (result.non2xx + result.errors > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`\nbenchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
