/**
 * `npx tsx bench/profile.ts [on|off]`: a CPU profile of the compiled server under the API-key
 * refund load (32 connections, 10 s), group commit on or off; prints the top functions by self
 * time. For the closing note of issue 12; not a test.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Rotation, refundLoad } from './load.js';
import { freePort, makeTempDir, removeTempDirs } from './procs.js';
import { prepareRefundDesk } from './refunddesk-setup.js';
import { sleep } from './stats.js';

const mode = process.argv[2] ?? 'on';
const dir = makeTempDir();
const port = await freePort();
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'dist/server/cli/main.js', 'serve'], {
  env: {
    ...process.env,
    DATABASE_URL: join(dir, 'p.db'),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    WORKER: 'off',
    GROUP_COMMIT: mode,
  },
  stdio: 'inherit',
});
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
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no profile written');
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const f = byId.get(id)?.callFrame;
  const where = f
    ? `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`
    : '?';
  self.set(where, (self.get(where) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`GROUP_COMMIT=${mode}: ${Math.round(r.okPerSecond)} refunds/s, p99 ${r.latency.p99.toFixed(1)} ms`);
for (const [where, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
  console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${where}`);
}
removeTempDirs();
