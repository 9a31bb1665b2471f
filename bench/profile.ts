/**
 * `npx tsx bench/profile.ts [on|off]`: a CPU profile of the compiled server under the API-key
 * refund load (32 connections, 10 s), group commit on or off; prints the top functions by self
 * time. For the closing note of issue 12; not a test.
 */
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
import { prepareRefundDesk } from './refunddesk-setup.js';

const mode = process.argv[2] ?? 'on';
installCleanup();
buildServer();
const dir = makeTempDir();
const server = await startServer(
  `GROUP_COMMIT=${mode}`,
  SERVER_ENTRY,
  ['serve'],
  {
    DATABASE_URL: join(dir, 'p.db'),
    LOG_LEVEL: 'warn',
    WORKER: 'off',
    ADMISSION_MAX_WAITING_JOBS: '0',
    GROUP_COMMIT: mode,
  },
  await freePort(),
  [...SERVER_NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${dir}`],
);
const setup = await prepareRefundDesk(server.url, 500);
const r = await refundLoad({
  url: server.url,
  token: setup.refundKey,
  connections: 32,
  duration: 10,
  rotation: { ids: setup.paymentIds, next: 0 },
}).done;
await server.stop(); // a graceful stop: node writes the profile as it exits
console.log(`GROUP_COMMIT=${mode}: ${Math.round(r.okPerSecond)} refunds/s, p99 ${r.latency.p99.toFixed(1)} ms`);
for (const line of topFunctions(dir, 12)) console.log(line);
removeTempDirs();
