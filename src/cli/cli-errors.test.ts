import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { runCli } from '../../test/support/cli-process.js';

/** Every CLI mistake is one clear line on stderr and a non-zero exit, never a stack trace. */
describe('CLI errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'refunddesk-cli-errors-'));
  const db = join(dir, 'cli.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its version', async () => {
    const r = await runCli(db, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each([
    [['seed'], /say --demo/],
    [['audit', 'verify', '--chain', 'mer_TYPO'], /no audit chain mer_TYPO/],
    [['merchant', 'create'], /required option/],
    [['audit', 'list', '--limit', '0'], /an integer from 1 to 1000/],
  ])('refuses `refunddesk %s` in one line', async (args, message) => {
    const r = await runCli(db, args as string[]);
    expect(r.code, r.stderr).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
