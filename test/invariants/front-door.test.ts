import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isStale } from '../../bin/build-state.js';

/**
 * The two README commands as a newcomer meets them: `npm start` runs the compiled server (not
 * TypeScript through a loader), a SIGTERM sent to the process `npm start` started stops the server
 * too (no orphan), logs are pretty on a terminal and JSON otherwise, and a build is redone only when
 * its sources are newer.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'refunddesk-front-door-'));
const started = new Set<number>();
afterAll(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL'); // only when a test failed
  rmSync(scratch, { recursive: true, force: true });
});

function start(command: string, args: string[], database: string): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: join(scratch, database), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

/** Resolves once `output()` matches, or fails after `ms` (a bound for a slow machine, not a timing assertion). */
async function waitFor(output: () => string, pattern: RegExp, ms = 45_000): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = output().match(pattern);
    if (m) return m;
    if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('serves from the compiled build, and a SIGTERM to npm stops the server with it', async () => {
    const npm = start('npm', ['start', '--silent'], 'start.db');
    const [, pid] = await waitFor(npm.output, /"pid":(\d+).*RefundDesk on http:\/\/127\.0\.0\.1:(\d+)/);
    const serverPid = Number(pid);
    started.add(serverPid);
    const port = (await waitFor(npm.output, /RefundDesk on http:\/\/127\.0\.0\.1:(\d+)/))[1];
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    // What runs is plain node on dist/, with no TypeScript loader in the process, and V8's heap settings.
    const cmdline = readFileSync(`/proc/${serverPid}/cmdline`, 'utf8').split('\0').join(' ');
    expect(cmdline).toMatch(/node --max-semi-space-size=4 --heap-growing-percent=75 bin\/refunddesk\.js serve/);
    expect(cmdline).not.toMatch(/tsx/);

    npm.child.kill('SIGTERM');
    await once(npm.child, 'exit');
    const until = Date.now() + 15_000;
    while (alive(serverPid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(alive(serverPid), 'the server outlived npm (an orphan)').toBe(false);
    expect(npm.output()).toMatch(/shutting down/);
  });
});

describe('node flags', () => {
  it('are the same in `npm start` and in the `refunddesk` command’s shebang', () => {
    const start = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start as string;
    const flags = /\bnode (.*?) ?bin\/refunddesk\.js serve$/.exec(start)?.[1];
    const shebang = readFileSync(join(ROOT, 'bin/refunddesk.js'), 'utf8').split('\n')[0];
    expect(flags).toBeTruthy();
    expect(shebang).toBe(`#!/usr/bin/env -S node ${flags}`);
  });
});

describe('logs', () => {
  it('are human-readable lines on a terminal (pino-pretty) and JSON when piped', async () => {
    // `script` gives the server a pseudo-terminal for its standard output.
    const tty = start('script', ['-qec', `${process.execPath} dist/server/cli/main.js serve`, '/dev/null'], 'tty.db');
    await waitFor(tty.output, /RefundDesk on http/);
    tty.child.kill('SIGTERM');
    await once(tty.child, 'exit');
    expect(tty.output()).toMatch(/INFO.*RefundDesk on http/);
    expect(tty.output()).not.toMatch(/^\{"level"/m);

    const piped = start(process.execPath, ['dist/server/cli/main.js', 'serve'], 'piped.db');
    await waitFor(piped.output, /RefundDesk on http/);
    piped.child.kill('SIGTERM');
    await once(piped.child, 'exit');
    const line =
      piped
        .output()
        .split('\n')
        .find((l) => l.includes('RefundDesk on http')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ level: 30 });
  });
});

describe('the build is redone only when stale', () => {
  it('compares the newest source with the build stamp, per part', () => {
    const root = join(scratch, 'project');
    mkdirSync(join(root, 'src/x'), { recursive: true });
    mkdirSync(join(root, 'web'), { recursive: true });
    writeFileSync(join(root, 'src/x/a.ts'), '');
    writeFileSync(join(root, 'package-lock.json'), '{}');
    expect(isStale('server', root)).toBe(true); // never built

    mkdirSync(join(root, 'dist/server'), { recursive: true });
    writeFileSync(join(root, 'dist/server/.built'), '');
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    for (const p of ['src/x/a.ts', 'src/x', 'src', 'package-lock.json']) utimesSync(join(root, p), t(0), t(0));
    utimesSync(join(root, 'dist/server/.built'), t(10), t(10));
    expect(isStale('server', root)).toBe(false);

    utimesSync(join(root, 'src/x/a.ts'), t(20), t(20)); // an edit deep in the tree
    expect(isStale('server', root)).toBe(true);
    utimesSync(join(root, 'src/x/a.ts'), t(0), t(0));
    utimesSync(join(root, 'package-lock.json'), t(20), t(20)); // new dependencies
    expect(isStale('server', root)).toBe(true);
    expect(isStale('web', root)).toBe(true); // its own stamp is missing
  });
});
