import { type Migration, type MigrationProvider, Migrator } from 'kysely';
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
import * as m020 from './migrations/020_backup_runs.js';

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
  '020_backup_runs': m020,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date; throws with the failing migration's name if one fails. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The names of every migration this RefundDesk knows, in order; the last is the current schema. */
export function migrationNames(): string[] {
  return Object.keys(migrations).sort();
}

/** Brings the schema up to `name` exactly (backups restore at the schema they were taken at). */
export async function migrateTo(db: Db, name: string): Promise<void> {
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateTo(name);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
