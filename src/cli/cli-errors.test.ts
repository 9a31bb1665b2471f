import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { type CliRun, runCli } from '../../test/support/cli-process.js';
import { BAD } from './cli.fixtures.js';
import { buildProgram, runnableCommands } from './program.js';

/**
 * Every CLI mistake is one clear line on stderr starting `error:` and a non-zero exit, never a
 * stack trace; a mistake in an option names the flag the user typed. The table (`BAD`, in
 * cli.fixtures.ts) has a row for every command the program defines (checked against the program
 * itself, so a new command cannot be forgotten).
 */

function expectOneErrorLine(r: CliRun, says: RegExp) {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code, r.stderr).not.toBeNull();
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(says);
  expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
}

describe('CLI errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'refunddesk-cli-errors-'));
  const db = join(dir, 'cli.db');
  beforeAll(async () => {
    const seeded = await runCli(db, ['seed', '--demo']);
    expect(seeded.code, seeded.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its version', async () => {
    const r = await runCli(db, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('has a bad-argument row for every command the program defines', () => {
    expect(Object.keys(BAD).sort()).toEqual(
      runnableCommands(buildProgram())
        .map((p) => p.join(' '))
        .sort(),
    );
  });

  it.concurrent.each(Object.entries(BAD))('refuses a bad `refunddesk %s` in one line', async (path, [args, says]) => {
    expectOneErrorLine(await runCli(db, [...path.split(' '), ...args]), says);
  });

  it.concurrent.each([
    // A service's field name is shown as the flag that sets it.
    [['user', 'create', '--email', 'a@b.example', '--name', 'x', '--role', 'merchant_owner'], /needs --merchant\b/],
    [['operator', 'add', '--terminal', 'T-9999', '--code', '07'], /^error: not_found: terminal T-9999/],
    [['nonsense'], /unknown command 'nonsense'/],
    [['audit', 'verify', '--chain', 'x y'], /--chain.*a merchant id \(mer_…\) or "platform"/],
  ])('refuses `refunddesk %s` in one line', async (args, says) => {
    expectOneErrorLine(await runCli(db, args as string[], { env: { USER_PASSWORD: 'Lantern-Harbor-77' } }), says);
  });

  it('operator add takes the terminal by serial, as every other command does', async () => {
    const r = await runCli(db, ['operator', 'add', '--terminal', 'T-0001', '--code', '07'], {
      env: { OPERATOR_PASSWORD: '583920' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ code: '07' });
  });

  it('--help of a group exits 0 and lists its commands', async () => {
    const help = await runCli(db, ['recovery', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/challenge[\s\S]*unlock-code[\s\S]*reset[\s\S]*send-code[\s\S]*verify-code/);
  });

  it('refuses to start with a platform policy setting beyond PCI DSS, in one clear line', async () => {
    const [failures, minutes] = await Promise.all([
      runCli(db, ['migrate'], { settings: { LOCKOUT_MAX_FAILURES: '11' } }),
      runCli(db, ['migrate'], { settings: { LOCKOUT_MINUTES: '5' } }),
    ]);
    expect(failures.code).toBe(1);
    expect(failures.stderr.trim()).toBe(
      'error: LOCKOUT_MAX_FAILURES must be 3–10 (PCI DSS 8.3.4: lock after at most 10 tries), got "11"',
    );
    expectOneErrorLine(minutes, /^error: LOCKOUT_MINUTES must be 30–1440/);
  });
});
