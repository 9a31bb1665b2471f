import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Db } from './connect.js';
import * as m001 from './migrations/001_foundation.js';
import * as m002 from './migrations/002_audit.js';
import * as m003 from './migrations/003_notifications.js';
import * as m004 from './migrations/004_credentials.js';
import * as m005 from './migrations/005_refund_journey.js';
import * as m006 from './migrations/006_webhooks.js';
import * as m007 from './migrations/007_disputes.js';
import * as m008 from './migrations/008_one_open_batch.js';
import * as m009 from './migrations/009_refund_failure_final.js';
import * as m010 from './migrations/010_refund_policy_history.js';
import * as m011 from './migrations/011_seed_runs.js';
import * as m012 from './migrations/012_money_checks.js';
import * as m013 from './migrations/013_payment_refund_sums.js';
import * as m014 from './migrations/014_normalised_contacts.js';
import * as m015 from './migrations/015_mask_card_numbers.js';
import * as m020 from './migrations/020_backup_runs.js';
import * as m021 from './migrations/021_terminal_journal.js';
import * as m022 from './migrations/022_operator_soft_delete.js';
import * as m023 from './migrations/023_list_indexes.js';

// Migrations are imported, not read from disk, so they work the same under tsx, vitest and a bundle.
const migrations: Record<string, Migration> = {
  '001_foundation': m001,
  '002_audit': m002,
  '003_notifications': m003,
  '004_credentials': m004,
  '005_refund_journey': m005,
  '006_webhooks': m006,
  '007_disputes': m007,
  '008_one_open_batch': m008,
  '009_refund_failure_final': m009,
  '010_refund_policy_history': m010,
  '011_seed_runs': m011,
  '012_money_checks': m012,
  '013_payment_refund_sums': m013,
  '014_normalised_contacts': m014,
  '015_mask_card_numbers': m015,
  '020_backup_runs': m020,
  '021_terminal_journal': m021,
  '022_operator_soft_delete': m022,
  '023_list_indexes': m023,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

const SQLITE_LOCK_WAIT_MS = 120_000;

/**
 * Runs `fn` (a migrator) so that only one process migrates a database at a time. PostgreSQL: Kysely
 * takes an advisory lock itself. SQLite: Kysely assumes a single process, so two processes starting
 * on one fresh file (`serve` twice, or `serve` beside `backup`) would both create the tables and
 * one would fail; here the whole run happens inside one `BEGIN IMMEDIATE` (SQLite's DDL is
 * transactional), and a second process waits for it, then finds nothing left to do.
 */
async function oneMigratorAtATime<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  if (db.engine !== 'sqlite') return fn();
  for (const until = Date.now() + SQLITE_LOCK_WAIT_MS; ; ) {
    try {
      await sql`begin immediate`.execute(db.kysely); // waits busy_timeout, then SQLITE_BUSY
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > until) throw e;
    }
  }
  try {
    const result = await fn();
    await sql`commit`.execute(db.kysely);
    return result;
  } catch (e) {
    await sql`rollback`.execute(db.kysely);
    throw e;
  }
}

/** Brings the schema up to date; throws with the failing migration's name if one fails. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await oneMigratorAtATime(db, () => migrator.migrateToLatest());
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const ran = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (ran.includes('015_mask_card_numbers')) await scrubAfterMasking(db);
  return ran;
}

/**
 * After card numbers were masked in place, their old bytes must leave the database files too
 * (PCI DSS 3.5), which an UPDATE alone does not do. SQLite runs with `secure_delete` (connect.ts),
 * so freed cells are zeroed; the WAL, which still holds the pages written before, is checkpointed
 * and truncated, and VACUUM rewrites the file. PostgreSQL keeps the old row versions until a
 * VACUUM FULL rewrites the tables. Neither may run inside the migration's transaction.
 */
export async function scrubAfterMasking(db: Db): Promise<void> {
  if (db.engine === 'sqlite') {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db.kysely);
    await sql`VACUUM`.execute(db.kysely);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db.kysely);
    return;
  }
  await sql`VACUUM FULL ${sql.join(m015.maskedTables.map((t) => sql.table(t)))}`.execute(db.kysely);
}

/** The names of every migration this RefundDesk knows, in order; the last is the current schema. */
export function migrationNames(): string[] {
  return Object.keys(migrations).sort();
}

/** Brings the schema up to `name` exactly (backups restore at the schema they were taken at). */
export async function migrateTo(db: Db, name: string): Promise<void> {
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await oneMigratorAtATime(db, () => migrator.migrateTo(name));
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The migrations this RefundDesk knows that the database has not run (readiness, `/readyz`). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const done = await sql<{ name: string }>`select name from kysely_migration`.execute(db.kysely);
  const applied = new Set(done.rows.map((r) => r.name));
  return migrationNames().filter((name) => !applied.has(name));
}
