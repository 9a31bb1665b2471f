import { join } from 'node:path';
import { Command } from 'commander';
import { fail } from '../cli/run.js';
import { loadConfig } from '../config.js';
import { createBackup, verifyBackup } from './backup.service.js';
import type { Progress } from './backup-manifest.js';
import { backupFileName } from './backup-schedule.js';
import { restoreBackup } from './restore.service.js';

/**
 * `refunddesk backup [--out FILE] [--json]`, `refunddesk backup verify FILE`,
 * `refunddesk restore FILE --into TARGET [--force]`. BACKUP_KEY (the passphrase) and SECRET_KEY
 * come from the environment, never from arguments. A bar (rows, rows/s, ETA) on a terminal, on
 * standard error; nothing when not a terminal. Any failure: one line on standard error, exit 1.
 */

async function progressBar(): Promise<{ onProgress?: Progress; stop(): void }> {
  if (!process.stderr.isTTY) return { stop() {} };
  // Loaded here: the server imports this file (its commands) but never draws a bar.
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} [{bar}] {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}',
      etaBuffer: 50,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let phase = '';
  const onProgress: Progress = (p) => {
    const speed = Math.round(p.rows / Math.max(0.001, (Date.now() - started) / 1000));
    if (p.phase !== phase) {
      if (phase) bar.stop();
      phase = p.phase;
      bar.start(p.total, 0, { phase, speed });
    }
    bar.update(Math.min(p.rows, p.total), { speed });
  };
  return { onProgress, stop: () => phase && bar.stop() };
}

/** Runs one command: its result as JSON (`--json`) or as `lines`; a failure as one line and exit 1. */
async function run<T>(json: boolean, fn: (onProgress?: Progress) => Promise<T>, lines: (r: T) => string[]) {
  const bar = await progressBar();
  try {
    const r = await fn(bar.onProgress);
    bar.stop();
    console.log(json ? JSON.stringify(r, null, 2) : lines(r).join('\n'));
  } catch (e) {
    bar.stop();
    fail(e);
  }
}

const rowsOf = (m: { tables: Array<{ rows: number }> }) => m.tables.reduce((n, t) => n + t.rows, 0);

export function backupCommand(): Command {
  const cmd = new Command('backup')
    .description('write a backup of DATABASE_URL (encrypted when BACKUP_KEY is set); safe while the server runs')
    .option('--out <file>', 'where to write it (default: BACKUP_DIR/refunddesk-<time>.rdbackup)')
    .option('--json', 'print a summary as JSON')
    .action((o: { out?: string; json?: boolean }) => {
      const config = loadConfig();
      const out = o.out ?? join(config.backupDir, backupFileName(new Date()));
      return run(
        !!o.json,
        (onProgress) => createBackup(config, out, { passphrase: config.backupKey, onProgress }),
        (r) => [
          `backup written: ${r.file} (${r.bytes} bytes, ${rowsOf(r.manifest)} rows in ${r.manifest.tables.length} tables, ${r.encrypted ? 'encrypted' : 'NOT encrypted: it carries no secret key'})`,
        ],
      );
    });
  cmd
    .command('verify <file>')
    .description('check a backup: its integrity, every table hash, every audit chain; exit 0 only when all match')
    .option('--json', 'print the manifest as JSON')
    .action((file: string, o: { json?: boolean }) =>
      run(
        !!o.json,
        (onProgress) => verifyBackup(file, { passphrase: loadConfig().backupKey, onProgress }),
        (r) => [
          `backup OK: ${file}`,
          `  made ${r.manifest.createdAt} by RefundDesk ${r.manifest.refunddeskVersion} on ${r.manifest.engine}, schema ${r.manifest.schemaVersion}`,
          `  ${r.manifest.tables.length} tables, ${rowsOf(r.manifest)} rows, ${r.manifest.auditChains.length} audit chains, all hashes match`,
          `  secret key fingerprint ${r.manifest.secretKeyFingerprint}${r.encrypted ? ' (the key is inside)' : ''}`,
        ],
      ),
    );
  return cmd;
}

export function restoreCommand(): Command {
  return new Command('restore')
    .description('restore a backup into an empty SQLite file or postgres:// database, whichever engine made it')
    .argument('<file>', 'the backup')
    .requiredOption('--into <target>', 'a SQLite file path or a postgres:// URL')
    .option('--force', "drop RefundDesk's own tables in the target first")
    .option('--json', 'print a summary as JSON')
    .action((file: string, o: { into: string; force?: boolean; json?: boolean }) => {
      const config = loadConfig();
      return run(
        !!o.json,
        (onProgress) =>
          restoreBackup(file, o.into, {
            passphrase: config.backupKey,
            secretKey: config.secretKey,
            force: !!o.force,
            onProgress,
          }),
        (r) => [
          `restored into ${r.target} (${r.engine}): ${r.rows} rows in ${r.tables} tables, schema ${r.schemaVersion} → ${r.migratedTo}`,
          `  verified: row counts, amounts, ${r.auditChains} audit chains (${r.auditEvents} events)`,
          ...(r.secretKeyFile ? [`  the backup's secret key was written to ${r.secretKeyFile}`] : []),
        ],
      );
    });
}
