/**
 * `npx tsx bench/worker-profile.ts` (`SECONDS=5`, `PROFILE=1`): what the worker's jobs for a refund
 * cost. A compiled server with its worker off takes API-key refunds of settled sales for SECONDS; a second start of the same database, worker
 * on (under `--cpu-prof` with PROFILE=1), drains the outbox alone. Prints refunds/s of the drain,
 * the server's CPU time per refund (steady under a noisy machine), and with PROFILE=1 the top
 * functions by self time. For issue 12's target 3; not a test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO } from '../src/seed/demo.js';
import { topFunctions } from './cpu-profile.js';
import { type Rotation, refundLoad } from './load.js';
import {
  buildServer,
  freePort,
  installCleanup,
  makeTempDir,
  removeTempDirs,
  SERVER_ENTRY,
  SERVER_NODE_FLAGS,
  startServer,
} from './procs.js';
import { call, prepareRefundDesk } from './refunddesk-setup.js';
import { sleep } from './stats.js';

let N = 0;
const PROFILE = process.env.PROFILE === '1';
installCleanup();
buildServer();
const dir = makeTempDir();
const db = join(dir, 'w.db');

/** The compiled server as `npm start` runs it (its node flags), on the one database; `prof` adds a CPU profile. */
async function start(worker: boolean, prof: boolean) {
  const server = await startServer(
    worker ? 'RefundDesk (worker on)' : 'RefundDesk (worker off)',
    SERVER_ENTRY,
    ['serve'],
    {
      DATABASE_URL: db,
      LOG_LEVEL: 'warn',
      WORKER: worker ? 'on' : 'off',
      ADMISSION_MAX_WAITING_JOBS: '0',
      REFUND_PROCESSING_DELAY_MS: '0',
    },
    await freePort(),
    [...SERVER_NODE_FLAGS, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [])],
  );
  /** The child's CPU time so far (user + system), in ms, from /proc (Linux). */
  const cpuMs = () => {
    const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  };
  return { url: server.url, stop: () => server.stop(), cpuMs };
}

const a = await start(false, false);
const setup = await prepareRefundDesk(a.url, 500);
const owner = await call<{ token: string }>(a.url, 'POST', '/api/v1/auth/login', {
  body: { email: DEMO.owner.email, password: DEMO.owner.password },
});
await call(a.url, 'POST', `/api/v1/terminals/${setup.terminalId}/settle`, { token: owner.token });
const load = refundLoad({
  url: a.url,
  token: setup.refundKey,
  connections: 32,
  duration: Number(process.env.SECONDS ?? 5),
  rotation: { ids: setup.paymentIds, next: 0 } as Rotation,
});
N = (await load.done).ok;
await a.stop();

const b = await start(true, PROFILE);
const t0 = performance.now();
const cpu0 = b.cpuMs();
const backlog = async () => {
  const text = await (await fetch(`${b.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('refunddesk_jobs_backlog{state="due"}'));
  return Number(line?.split(' ')[1] ?? 0);
};
while ((await backlog()) > 0) await sleep(100);
const seconds = (performance.now() - t0) / 1000;
const cpu = b.cpuMs() - cpu0;
await b.stop();
console.log(
  `drained the jobs of ${N} refunds in ${seconds.toFixed(1)} s: ${Math.round(N / seconds)} refunds/s, ` +
    `server CPU ${((cpu * 1000) / N).toFixed(0)} µs per refund`,
);
if (!PROFILE) process.exit(0);
for (const line of topFunctions(dir, 25)) console.log(line);
removeTempDirs();
