import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sleep } from './stats.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The compiled server, as `npm start` runs it. */
export const SERVER_ENTRY = 'dist/server/cli/main.js';

/**
 * The node flags `npm start` gives the server (package.json's `start`: V8's heap settings), so a
 * benchmarked server runs as `npm start` runs it. `startServer` adds them to SERVER_ENTRY.
 */
export const SERVER_NODE_FLAGS: string[] = (() => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const command = /\bnode\s+(.*?)\s*bin\/refunddesk\.js\b/.exec(pkg.scripts.start);
  if (!command)
    throw new Error(`package.json's start is not \`node [flags] bin/refunddesk.js …\`: ${pkg.scripts.start}`);
  return command[1].split(/\s+/).filter(Boolean);
})();

/** Builds the server when its sources changed (`scripts/build.ts server`), before a benchmark starts it. */
export function buildServer(): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', 'server'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}
const probeModule = pathToFileURL(join(repoRoot, 'bench', 'eld-probe.mjs')).href;

// Everything made here is undone on exit, on error and on Ctrl-C.
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

const TEMP_PREFIX = 'refunddesk-bench-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp dirs left by a benchmark that was SIGKILLed (its pid file names a dead process). */
function removeStaleTempDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const pid = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
}

export function makeTempDir(): string {
  removeStaleTempDirs();
  const dir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  tempDirs.add(dir);
  return dir;
}

function killAllNow(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

let installed = false;
/** Last-resort cleanup: `exit` runs synchronously, so children are SIGKILLed and temp dirs removed. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping servers and removing temp files`);
      process.exit(130);
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface EventLoopDelay {
  /** Milliseconds the loop was late beyond the probe's sampling interval. */
  p50: number;
  p99: number;
  max: number;
  /** The longest stall less the garbage-collection pauses inside it (issue 12 counts stalls outside GC). */
  maxOutsideGc: number;
  /**
   * The same, counting only the CPU time the server used in it (not time it waited for a core): an
   * upper bound, since that CPU time adds up every thread of the process.
   */
  maxOwnOutsideGc: number;
  /** The longest GC pause seen. */
  gcPauseMax: number;
  samples: number;
}

export interface Server {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Starts / reads the event-loop delay histogram inside the server (bench/eld-probe.mjs). */
  eldStart(): Promise<void>;
  eldRead(): Promise<EventLoopDelay>;
  /** The last lines the server wrote (stdout and stderr), for error reports. */
  recentOutput(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node [node flags] [--import tsx] --import bench/eld-probe.mjs <entry> ...args` in the repository root and
 * waits until GET /healthz answers 200. The probe is idle unless asked; it also ends the child
 * when this process dies (the IPC channel closes).
 */
export async function startServer(
  name: string,
  entry: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  /** Node's own flags; by default npm start's (SERVER_NODE_FLAGS) for SERVER_ENTRY, none for others. */
  nodeFlags?: string[],
): Promise<Server> {
  // A compiled entry (.js) runs as `npm start` runs it; a TypeScript one needs the tsx loader.
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const flags = nodeFlags ?? (entry === SERVER_ENTRY ? SERVER_NODE_FLAGS : []);
  const child = spawn(process.execPath, [...flags, ...loader, '--import', probeModule, entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    children.delete(child);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${name} exited during start-up:\n${output.join('')}`);
    if (Date.now() > deadline) throw new Error(`${name} did not answer /healthz within 60 s:\n${output.join('')}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {}
    await sleep(100);
  }

  const ask = <T>(cmd: string, reply: string): Promise<T> =>
    new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${name}: no ${reply} from the probe`)), 5000);
      const on = (m: { type?: string }) => {
        if (m?.type !== reply) return;
        clearTimeout(timer);
        child.off('message', on);
        res(m as T);
      };
      child.on('message', on);
      child.send({ cmd });
    });

  return {
    name,
    url,
    port,
    child,
    eldStart: () => ask<void>('eld:start', 'eld:started'),
    eldRead: () => ask<EventLoopDelay>('eld:read', 'eld'),
    recentOutput: () => output.join(''),
    async stop() {
      if (exited) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Removes the temp dirs now (servers must be stopped first so SQLite has closed its files). */
export function removeTempDirs(): void {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}
