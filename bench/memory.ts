/**
 * `npx tsx bench/memory.ts [--rounds N] [--duration S] [--sales N] [--smaps] [variant ...]`: where the server's memory goes,
 * idle and under the API-key refund load (target 5 of issue 12). Not a test.
 *
 * Each variant is `label=entry [--node-flag ...] [npm-start] [ENV=value ...]` (one argument,
 * space-separated): node runs with exactly the flags given, `npm-start` standing for those of
 * package.json's `start` (SERVER_NODE_FLAGS); without a variant, `current=dist/server/cli/main.js
 * npm-start`, the server as `npm start` runs it. Each round starts every variant afresh on its own
 * temp SQLite file, in alternating order (A B, B A, …), and for each records:
 *   - RSS (VmRSS), anonymous (RssAnon) and file-backed (RssFile) from /proc/PID/status, right after
 *     start, idle (after the sales and a warm-up, as `npm run bench` measures it) and the peak under
 *     load (sampled every 100 ms);
 *   - V8's heap (used / committed, new space committed) and external memory from GET /metrics;
 *   - refunds/s, p99 and the server's event-loop delay max (and its longest stall outside GC) under the load.
 * `--smaps` adds the resident memory per mapping (/proc/PID/smaps) at the end of the load.
 *
 * To compare a change with the build before it: copy that build inside the checkout (so its
 * imports still find node_modules), e.g. `cp -r dist .mem-base`, then
 *   npx tsx bench/memory.ts --rounds 4 'base=.mem-base/server/cli/main.js npm-start' 'new=dist/server/cli/main.js npm-start'
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Rotation, refundLoad } from './load.js';
import {
  freePort,
  installCleanup,
  makeTempDir,
  removeTempDirs,
  SERVER_ENTRY,
  SERVER_NODE_FLAGS,
  startServer,
} from './procs.js';
import { prepareRefundDesk } from './refunddesk-setup.js';
import { fmt, metric, table } from './report.js';
import { cpuSeconds } from './rss.js';
import { sleep } from './stats.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rounds = value('--rounds', 1);
const loadSeconds = value('--duration', 5);
const sales = value('--sales', 300);
const specs = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.match(/^--(rounds|duration|sales)$/));

interface Variant {
  label: string;
  entry: string;
  nodeFlags: string[];
  env: Record<string, string>;
}

function parseVariant(spec: string): Variant {
  const eq = spec.indexOf('=');
  const [entry, ...rest] = spec.slice(eq + 1).split(/\s+/);
  return {
    label: spec.slice(0, eq),
    entry,
    nodeFlags: rest.flatMap((r) => (r === 'npm-start' ? SERVER_NODE_FLAGS : r.startsWith('--') ? [r] : [])),
    env: Object.fromEntries(
      rest
        .filter((r) => r.includes('=') && !r.startsWith('--'))
        .map((r) => [r.slice(0, r.indexOf('=')), r.slice(r.indexOf('=') + 1)]),
    ),
  };
}
const variants = (specs.length > 0 ? specs : [`current=${SERVER_ENTRY} npm-start`]).map(parseVariant);

interface Status {
  rss: number;
  anon: number;
  file: number;
}

/** VmRSS, RssAnon and RssFile in MiB. */
function status(pid: number): Status | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) / 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return undefined;
  }
}

/** Resident kB per mapping name ([anon] for unnamed ones), largest first. */
function smaps(pid: number): Array<[string, number]> {
  const byName = new Map<string, number>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) name = head[1] || '[anon]';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) byName.set(name, (byName.get(name) ?? 0) + Number(rss[1]));
  }
  return [...byName].sort((a, b) => b[1] - a[1]);
}

/** V8 figures from the server's own /metrics (prom-client's default metrics), in MiB. */
async function heap(url: string): Promise<{ used: number; total: number; newSpace: number; external: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mib = (name: string, labels = '') => metric(text, name, labels) / 2 ** 20;
  return {
    used: mib('nodejs_heap_size_used_bytes'),
    total: mib('nodejs_heap_size_total_bytes'),
    newSpace: mib('nodejs_heap_space_size_total_bytes', 'space="new"'),
    external: mib('nodejs_external_memory_bytes'),
  };
}

interface Sample {
  start: Status;
  idle: Status;
  peak: Status;
  idleHeap: Awaited<ReturnType<typeof heap>>;
  loadedHeap: Awaited<ReturnType<typeof heap>>;
  refundsPerSecond: number;
  /** The server's CPU time per refund under load: less sensitive to a busy machine than refunds/s. */
  cpuMsPerRefund: number;
  p99: number;
  eldMax: number;
  /** The longest event-loop stall less the GC pauses inside it (issue 12's target 2). */
  stallOutsideGc: number;
  smaps?: Array<[string, number]>;
}

async function measure(v: Variant): Promise<Sample> {
  const dir = makeTempDir();
  const port = await freePort();
  const env = { DATABASE_URL: join(dir, 'm.db'), LOG_LEVEL: 'warn', WORKER: 'off', ADMISSION_MAX_WAITING_JOBS: '0' };
  const server = await startServer(v.label, v.entry, ['serve'], { ...env, ...v.env }, port, v.nodeFlags);
  try {
    const pid = server.child.pid ?? 0;
    const start = status(pid) as Status;
    const setup = await prepareRefundDesk(server.url, sales);
    const rotation: Rotation = { ids: setup.paymentIds, next: 0 };
    const load = (duration: number) =>
      refundLoad({ url: server.url, token: setup.refundKey, connections: 32, duration, rotation }).done;
    await load(1); // warm-up, as `npm run bench -- --quick`
    await sleep(1000);
    const idle = status(pid) as Status;
    const idleHeap = await heap(server.url);
    const peak = { ...idle };
    const timer = setInterval(() => {
      const now = status(pid);
      if (!now) return;
      peak.rss = Math.max(peak.rss, now.rss);
      peak.anon = Math.max(peak.anon, now.anon);
      peak.file = Math.max(peak.file, now.file);
    }, 100);
    await server.eldStart();
    const cpuBefore = cpuSeconds(pid);
    const r = await load(loadSeconds);
    const cpu = cpuSeconds(pid) - cpuBefore;
    const eld = await server.eldRead();
    clearInterval(timer);
    const loadedHeap = await heap(server.url);
    const map = flag('--smaps') ? smaps(pid) : undefined;
    if (r.non2xx + r.errors > 0) throw new Error(`${v.label}: ${r.non2xx} non-2xx, ${r.errors} errors under load`);
    return {
      start,
      idle,
      peak,
      idleHeap,
      loadedHeap,
      refundsPerSecond: r.okPerSecond,
      cpuMsPerRefund: (cpu * 1000) / r.ok,
      p99: r.latency.p99,
      eldMax: eld.max,
      stallOutsideGc: eld.maxOutsideGc,
      smaps: map,
    };
  } finally {
    await server.stop();
  }
}

installCleanup();
const results = new Map<string, Sample[]>(variants.map((v) => [v.label, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    const s = await measure(v);
    results.get(v.label)?.push(s);
    console.log(
      `round ${round + 1} ${v.label}: RSS start ${fmt.ms(s.start.rss)}, idle ${fmt.ms(s.idle.rss)} ` +
        `(anon ${fmt.ms(s.idle.anon)}, file ${fmt.ms(s.idle.file)}), peak ${fmt.ms(s.peak.rss)} ` +
        `(anon ${fmt.ms(s.peak.anon)}) MiB; heap idle ${fmt.ms(s.idleHeap.used)}/${fmt.ms(s.idleHeap.total)} ` +
        `(new ${fmt.ms(s.idleHeap.newSpace)}), loaded ${fmt.ms(s.loadedHeap.used)}/${fmt.ms(s.loadedHeap.total)} ` +
        `(new ${fmt.ms(s.loadedHeap.newSpace)}), external ${fmt.ms(s.loadedHeap.external)} MiB; ` +
        `${fmt.n(s.refundsPerSecond)} refunds/s, ${fmt.ms(s.cpuMsPerRefund)} CPU ms each, p99 ${fmt.ms(s.p99)} ms, ELD max ${fmt.ms(s.eldMax)} ms (outside GC ${fmt.ms(s.stallOutsideGc)})`,
    );
    for (const [name, kb] of s.smaps?.slice(0, 12) ?? [])
      console.log(`    ${(kb / 1024).toFixed(1).padStart(7)} ${name}`);
  }
}
removeTempDirs();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = variants.map((v) => {
  const ss = results.get(v.label) ?? [];
  const m = (f: (s: Sample) => number) => median(ss.map(f));
  return [
    v.label,
    fmt.ms(m((s) => s.start.rss)),
    `${fmt.ms(m((s) => s.idle.rss))} (${fmt.ms(m((s) => s.idle.anon))} + ${fmt.ms(m((s) => s.idle.file))})`,
    `${fmt.ms(m((s) => s.peak.rss))} (${fmt.ms(m((s) => s.peak.anon))} anon)`,
    `${fmt.ms(m((s) => s.idleHeap.used))} / ${fmt.ms(m((s) => s.idleHeap.total))}`,
    fmt.n(m((s) => s.refundsPerSecond)),
    fmt.ms(m((s) => s.cpuMsPerRefund)),
    fmt.ms(m((s) => s.p99)),
    fmt.ms(m((s) => s.eldMax)),
    fmt.ms(m((s) => s.stallOutsideGc)),
  ];
});
console.log(
  `\nmedians over ${rounds} round(s), MiB (${loadSeconds} s of 32 connections, ${sales} sales):\n${table(
    [
      'variant',
      'RSS start',
      'idle (anon + file)',
      'peak',
      'heap idle used / total',
      'refunds/s',
      'CPU ms/refund',
      'p99 ms',
      'ELD max',
      'outside GC',
    ],
    rows,
  )}`,
);
