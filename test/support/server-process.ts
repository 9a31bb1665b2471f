import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * Real `refunddesk serve` child processes for the invariant tests that need a process boundary
 * (kill -9, several workers on one database), and a small fetch client for them.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The compiled CLI, as `npm start` and `refunddesk` run it (built by the global setup when stale). */
export const COMPILED_CLI = 'dist/server/cli/main.js';

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  port: number;
  output: () => string;
}

/** Every child started here and not yet exited: `killAllServers` in afterAll. */
const children = new Set<ChildProcess>();

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const address = srv.address();
  srv.close();
  await once(srv, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `serve` on the database and waits for /healthz (up to 40 s).
 * `env` adds to or overrides the defaults (LOG_LEVEL=warn, REFUND_PROCESSING_DELAY_MS=0).
 */
export async function startServer(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [COMPILED_CLI, 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      REFUND_PROCESSING_DELAY_MS: '0',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let log = '';
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 40_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited before it was healthy (${child.exitCode ?? child.signalCode}):\n${log}`);
    }
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server not healthy after 40 s:\n${log}`);
    await sleep(100);
  }
  return { child, base, port, output: () => log };
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** SIGKILLs every child still running (for afterAll, whatever happened in the test). */
export async function killAllServers(): Promise<void> {
  await Promise.all([...children].map(killHard));
}

export async function call(
  base: string,
  method: string,
  path: string,
  auth?: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = `Bearer ${auth}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function ok(p: ReturnType<typeof call>, status: number): Promise<Record<string, unknown>> {
  const r = await p;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}
