/**
 * Backup and restore time and peak memory for N payments (a benchmark, not a test).
 *
 *   [TEST_DATABASE_URL=postgres://… to also restore into PostgreSQL] npx tsx bench/backup.ts [payments=100000]
 *
 * Builds a SQLite database with the demo data plus N payments (copies of one demo sale with new
 * ids), then times `createBackup` (plain and encrypted), `verifyBackup` and `restoreBackup` into a
 * fresh SQLite file (and a fresh PostgreSQL database when TEST_DATABASE_URL is set), sampling the process's
 * resident memory every 20 ms. Memory is RSS over the baseline before each step: the streamed
 * design keeps it flat in N.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { createBackup, verifyBackup } from '../src/backups/backup.service.js';
import { restoreBackup } from '../src/backups/restore.service.js';
import { loadConfig } from '../src/config.js';
import { newId } from '../src/ids.js';
import { openContext } from '../src/runtime.js';
import { seedDemo } from '../src/seed/demo.js';
import { throwawayDatabase } from '../test/support/engines.js';

const N = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'refunddesk-bench-backup-'));
const secretKey = randomBytes(32).toString('hex');
const source = join(dir, 'source.db');

async function measure<T>(label: string, fn: () => Promise<T>): Promise<T> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
  console.log(
    `${label.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(7)} s   ${Math.round((N / ms) * 1000)
      .toString()
      .padStart(7)} payments/s   peak RSS ${mb(peak)} MiB (+${mb(peak - base)} MiB)`,
  );
  return out;
}

const { db, ctx } = await openContext({ ...loadConfig({}), databaseUrl: source, secretKey });
await seedDemo(db, ctx);
await db.close();
{
  const db = new SqliteDatabase(source);
  db.pragma('journal_mode = WAL');
  const template = db.prepare('SELECT * FROM payments LIMIT 1').get() as Record<string, unknown>;
  const cols = Object.keys(template);
  const insert = db.prepare(
    `INSERT INTO payments (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
  );
  const fill = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      insert.run({
        ...template,
        id: newId('pay'),
        reference: String(100_000_000_000 + i),
        amount: 100 + (i % 9000),
        captured_amount: 100 + (i % 9000),
      });
    }
  });
  const t0 = performance.now();
  fill(N);
  db.close();
  console.log(`RefundDesk backups: ${N} payments (filled in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

const config = { databaseUrl: source, secretKey };
const plain = await measure('backup (plain)', () => createBackup(config, join(dir, 'plain.rdbackup')));
const enc = await measure('backup (encrypted)', () =>
  createBackup(config, join(dir, 'enc.rdbackup'), { passphrase: 'bench passphrase' }),
);
await measure('backup verify (encrypted)', () => verifyBackup(enc.file, { passphrase: 'bench passphrase' }));
await measure('restore → SQLite (verify + load)', () =>
  restoreBackup(enc.file, join(dir, 'restored.db'), { passphrase: 'bench passphrase', secretKey }),
);
let dropPg: (() => Promise<void>) | undefined;
if (process.env.TEST_DATABASE_URL) {
  const target = await throwawayDatabase('postgres');
  dropPg = target.drop;
  await measure('restore → PostgreSQL (verify + load)', () => restoreBackup(plain.file, target.url, { secretKey }));
  await measure('backup of PostgreSQL', () =>
    createBackup({ databaseUrl: target.url, secretKey }, join(dir, 'pg.rdbackup')),
  );
}
console.log(
  `file sizes: plain ${(statSync(plain.file).size / 1024 / 1024).toFixed(1)} MiB, encrypted ${(statSync(enc.file).size / 1024 / 1024).toFixed(1)} MiB`,
);
await dropPg?.();
rmSync(dir, { recursive: true, force: true });
