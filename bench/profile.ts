/**
 * `npx tsx bench/profile.ts [on|off]`: a CPU profile of the compiled server under the API-key
 * refund load (32 connections, 10 s), group commit on or off; prints the top functions by self
 * time. For the closing note of issue 12; not a test.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { topFunctions } from './cpu-profile.js';
import { type Rotation, refundLoad } from './load.js';
import { freePort, makeTempDir, removeTempDirs, SERVER_ENTRY, SERVER_NODE_FLAGS } from './procs.js';
import { prepareRefundDesk } from './refunddesk-setup.js';
import { sleep } from './stats.js';

const mode = process.argv[2] ?? 'on';
const dir = makeTempDir();
const port = await freePort();
const child = spawn(
  process.execPath,
  [...SERVER_NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${dir}`, SERVER_ENTRY, 'serve'],
  {
    env: {
      ...process.env,
      DATABASE_URL: join(dir, 'p.db'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      WORKER: 'off',
      ADMISSION_MAX_WAITING_JOBS: '0',
      GROUP_COMMIT: mode,
    },
    stdio: 'inherit',
  },
);
const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  if ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok) break;
  await sleep(200);
}
const setup = await prepareRefundDesk(url, 500);
const r = await refundLoad({
  url,
  token: setup.refundKey,
  connections: 32,
  duration: 10,
  rotation: { ids: setup.paymentIds, next: 0 } as Rotation,
}).done;
child.kill('SIGTERM');
await new Promise((res) => child.once('exit', res));
console.log(`GROUP_COMMIT=${mode}: ${Math.round(r.okPerSecond)} refunds/s, p99 ${r.latency.p99.toFixed(1)} ms`);
for (const line of topFunctions(dir, 12)) console.log(line);
removeTempDirs();
