import { join } from 'node:path';
import { topFunctions } from './cpu-profile.js';
import { refundLoad } from './load.js';
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
import { prepareRefundDesk, settleDemoTerminal } from './refunddesk-setup.js';
import { metric } from './report.js';
import { cpuSeconds } from './rss.js';
import { sleep } from './stats.js';

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
  return { url: server.url, stop: () => server.stop(), cpuMs: () => cpuSeconds(server.child.pid ?? 0) * 1000 };
}

const a = await start(false, false);
const setup = await prepareRefundDesk(a.url, 500);
await settleDemoTerminal(a.url, setup.terminalId);
const load = refundLoad({
  url: a.url,
  token: setup.refundKey,
  connections: 32,
  duration: Number(process.env.SECONDS ?? 5),
  rotation: { ids: setup.paymentIds, next: 0 },
});
const N = (await load.done).ok;
await a.stop();

const b = await start(true, PROFILE);
const t0 = performance.now();
const cpu0 = b.cpuMs();
const backlog = async () =>
  metric(await (await fetch(`${b.url}/metrics`)).text(), 'refunddesk_jobs_backlog', 'state="due"');
while ((await backlog()) > 0) await sleep(100);
const seconds = (performance.now() - t0) / 1000;
const cpu = b.cpuMs() - cpu0;
await b.stop();
console.log(
  `drained the jobs of ${N} refunds in ${seconds.toFixed(1)} s: ${Math.round(N / seconds)} refunds/s, ` +
    `server CPU ${((cpu * 1000) / N).toFixed(0)} µs per refund`,
);
if (PROFILE) for (const line of topFunctions(dir, 25)) console.log(line);
removeTempDirs();
