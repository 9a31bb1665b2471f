import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeBackup } from '../../test/support/backup-forge.js';
import { runCli } from '../../test/support/cli-process.js';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { loadConfig } from '../config.js';
import { openContext } from '../runtime.js';
import { seedDemo } from '../seed/demo.js';
import { createBackup } from './backup.service.js';

/**
 * The real `refunddesk backup` / `backup verify` / `restore` as child processes: SQLite → the other
 * engine → SQLite again (PostgreSQL when TEST_DATABASE_URL is set), and the one-line failures.
 */
describe('refunddesk backup, backup verify and restore', () => {
  const secretKey = randomBytes(32).toString('hex');
  const env = { SECRET_KEY: secretKey, BACKUP_KEY: 'a long backup passphrase' };
  let dir: string;
  const dbs: ThrowawayDatabase[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'refunddesk-backup-cli-'));
    const source = await throwawayDatabase('sqlite');
    dbs.push(source);
    const { db, ctx } = await openContext({ ...loadConfig({}), databaseUrl: source.url, secretKey });
    await seedDemo(db, ctx);
    await db.close();
  });
  afterAll(async () => {
    for (const d of dbs) await d.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up, verifies and restores across engines and back, with a JSON summary for scripts', async () => {
    const source = dbs[0];
    const file = join(dir, 'a.rdbackup');
    const b = await runCli(source.url, ['backup', '--out', file, '--json'], { env });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toBe(''); // no bar when not a terminal
    expect(b.json()).toMatchObject({ file, encrypted: true, manifest: { engine: 'sqlite' } });
    const tables = b.json().manifest.tables;

    const v = await runCli(source.url, ['backup', 'verify', file], { env });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('backup OK');

    const other = await throwawayDatabase(engines().at(-1) ?? 'sqlite');
    dbs.push(other);
    const r = await runCli(source.url, ['restore', file, '--into', other.url, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ engine: other.url.startsWith('postgres') ? 'postgres' : 'sqlite' });

    const back = join(dir, 'b.rdbackup');
    const b2 = await runCli(other.url, ['backup', '--out', back, '--json'], { env });
    expect(b2.code, b2.stderr).toBe(0);
    expect(b2.json().manifest.tables).toEqual(tables);

    const home = await throwawayDatabase('sqlite');
    dbs.push(home);
    const r2 = await runCli(source.url, ['restore', back, '--into', home.url], { env });
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/^restored into .* \(sqlite\)/);

    const again = await runCli(source.url, ['restore', back, '--into', home.url], { env });
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: backup_target_not_empty: /)]);
  });

  it('refuses a truncated file and a wrong key with one line and exit 1', async () => {
    // Written in-process: each CLI start costs seconds, and the CLI's own backup is checked above.
    const file = join(dir, 'c.rdbackup');
    await createBackup({ databaseUrl: dbs[0].url, secretKey }, file, { passphrase: env.BACKUP_KEY });
    const bytes = readFileSync(file);
    writeFileSync(join(dir, 'cut.rdbackup'), bytes.subarray(0, bytes.length - 100));
    const [cut, wrong, missing] = await Promise.all([
      runCli(dbs[0].url, ['backup', 'verify', join(dir, 'cut.rdbackup')], { env }),
      runCli(dbs[0].url, ['backup', 'verify', file], { env: { ...env, BACKUP_KEY: 'not it' } }),
      runCli(dbs[0].url, ['backup', 'verify', join(dir, 'nothing.rdbackup')], { env }),
    ]);
    for (const [run, line] of [
      [cut, /^error: backup_(truncated|corrupt): /],
      [wrong, /^error: backup_key_wrong: /],
      [missing, /^error: ENOENT/],
    ] as const) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
    }
  });

  it('names the table that differs from the manifest in one line, and refuses a file from a newer RefundDesk, both with exit 1', async () => {
    const file = join(dir, 'plain.rdbackup');
    const made = await createBackup({ databaseUrl: dbs[0].url, secretKey }, file);
    const payments = made.manifest.tables.find((t) => t.name === 'payments');
    expect(payments?.rows).toBeGreaterThan(0);
    const mismatch = join(dir, 'mismatch.rdbackup');
    await forgeBackup(file, mismatch, {
      manifest: (m) => ({
        ...m,
        tables: m.tables.map((t) => (t.name === 'payments' ? { ...t, sha256: 'f'.repeat(64) } : t)),
      }),
    });
    const newer = join(dir, 'newer.rdbackup');
    await forgeBackup(file, newer, {
      intro: (i) => ({ ...i, refunddeskVersion: '99.0.0' }),
      manifest: (m) => ({ ...m, refunddeskVersion: '99.0.0' }),
    });
    const target = join(dir, 'from-newer', 'refunddesk.db');
    const plainEnv = { env: { SECRET_KEY: secretKey } }; // no BACKUP_KEY: the files are plain
    const [verified, restored] = await Promise.all([
      runCli(dbs[0].url, ['backup', 'verify', mismatch], plainEnv),
      runCli(dbs[0].url, ['restore', newer, '--into', target], plainEnv),
    ]);
    for (const [run, line] of [
      [
        verified,
        /^error: backup_mismatch: verification failed: table payments: its SHA-256 does not match the manifest$/,
      ],
      [restored, /^error: backup_from_newer_version: the backup was made by RefundDesk 99\.0\.0, /],
    ] as const) {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
    }
    expect(existsSync(target)).toBe(false);
  });
});
