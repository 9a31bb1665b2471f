import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { verifyAuditChains } from '../audit/audit.service.js';
import { connect, type Engine } from '../db/connect.js';
import { migrateTo, migrateToLatest, migrationNames } from '../db/migrate.js';
import { transaction } from '../db/transaction.js';
import { releaseClaimsAfterRestore } from '../jobs/job.service.js';
import { parseSecretKey, secretKeyFile } from '../secret-key.js';
import { backupMismatch, backupSecretKeyMismatch, backupTargetNotEmpty } from './backup.errors.js';
import {
  dropTables,
  existingTables,
  hasRows,
  insertRows,
  MIGRATION_TABLES,
  storedValue,
  type TableInfo,
  tableTotals,
} from './backup.repository.js';
import { verifyBackup } from './backup.service.js';
import { assertRestorable, type BackupManifest, type Progress, secretKeyFingerprint } from './backup-manifest.js';
import { BackupReader } from './backup-reader.js';

/** `refunddesk restore`: a verified backup into an empty SQLite file or PostgreSQL database, at its schema, then migrated up. */

/**
 * Which key the restored data will be opened with, and whether it must be written: the key given
 * (SECRET_KEY), else the target's key file, else the key the encrypted backup carries. Each must
 * be the one the backup's sealed fields were sealed under.
 * @throws backup_secret_key_mismatch
 */
function targetSecretKey(
  target: string,
  fingerprint: string,
  carried: string | undefined,
  supplied: string | undefined,
): { writeTo?: string; key: string } {
  if (supplied) {
    if (secretKeyFingerprint(parseSecretKey(supplied)) !== fingerprint) {
      throw backupSecretKeyMismatch(
        `SECRET_KEY is not the key this backup's data is sealed under (fingerprint ${fingerprint})`,
      );
    }
    return { key: supplied };
  }
  const path = secretKeyFile(target);
  if (existsSync(path)) {
    const held = parseSecretKey(readFileSync(path, 'utf8'));
    if (secretKeyFingerprint(held) !== fingerprint) {
      throw backupSecretKeyMismatch(
        `${path} holds another secret key than the backup's (fingerprint ${fingerprint}): move it away, or set SECRET_KEY to the backup's key`,
      );
    }
    return { key: held.toString('hex') };
  }
  if (carried) return { writeTo: path, key: carried };
  throw backupSecretKeyMismatch(
    `this backup is not encrypted, so it carries only its secret key's fingerprint (${fingerprint}): set SECRET_KEY to that key, or put its secret.key at ${path}`,
  );
}

/** Every table a RefundDesk database can have: what the migrations create, and what the backup holds. */
async function ownTables(manifest: BackupManifest): Promise<Set<string>> {
  const scratch = connect(':memory:');
  try {
    await migrateToLatest(scratch);
    return new Set([...(await existingTables(scratch)), ...manifest.tables.map((t) => t.name), ...MIGRATION_TABLES]);
  } finally {
    await scratch.close();
  }
}

export interface RestoreResult {
  target: string;
  engine: Engine;
  tables: number;
  rows: number;
  schemaVersion: string;
  migratedTo: string;
  auditChains: number;
  auditEvents: number;
  /** Where the backup's secret key was written, if it was. */
  secretKeyFile?: string;
}

/**
 * Restores `file` into `target` (a SQLite path or a postgres:// URL), whichever engine made it:
 * refuses a file from a newer RefundDesk on its intro, verifies the whole file (nothing is loaded
 * from a damaged one), migrates the target to
 * the backup's schema, loads every table in one transaction, migrates up to the current schema,
 * then checks row counts, amounts and every audit chain in the target.
 * @throws everything verifyBackup throws, backup_from_newer_version, backup_target_not_empty
 *   (unless `force`, which drops only RefundDesk's own tables), backup_secret_key_mismatch
 */
export async function restoreBackup(
  file: string,
  target: string,
  opts: { passphrase?: string; force?: boolean; secretKey?: string; onProgress?: Progress } = {},
): Promise<RestoreResult> {
  // A backup from a newer RefundDesk is refused on its intro, before the whole file is read.
  assertRestorable(await new BackupReader().readIntro(file, opts.passphrase));
  // First pass: refuse before touching the target.
  const verified = await verifyBackup(file, { passphrase: opts.passphrase, onProgress: opts.onProgress });
  const manifest = { ...verified.manifest, secretKey: verified.secretKey } as BackupManifest;
  assertRestorable(manifest);
  const key = targetSecretKey(target, manifest.secretKeyFingerprint, manifest.secretKey, opts.secretKey);

  const db = connect(target);
  try {
    const own = await ownTables(manifest);
    const present = (await existingTables(db)).filter((t) => own.has(t));
    if (!opts.force) {
      for (const t of present) {
        if (!MIGRATION_TABLES.includes(t) && (await hasRows(db, t))) throw backupTargetNotEmpty(redact(target));
      }
    }
    await dropTables(db, present);
    await migrateTo(db, manifest.schemaVersion);

    // Second pass: load, re-checking as it goes; any difference rolls the whole load back.
    const reader = new BackupReader();
    await transaction(db, async (trx) => {
      let table: TableInfo | undefined;
      let batch: Record<string, unknown>[] = [];
      const flush = async () => {
        if (table && batch.length) await insertRows(trx, table.name, batch);
        batch = [];
      };
      for await (const e of reader.events(file, opts.passphrase)) {
        if (e.kind === 'table') {
          await flush();
          table = { ...e.table, references: [] };
        } else if (e.kind === 'rows' && table) {
          const t = table;
          const per = Math.max(1, Math.min(500, Math.floor(30_000 / t.columns.length)));
          for (const row of e.rows) {
            const stored: Record<string, unknown> = {};
            for (const c of t.columns) stored[c.name] = storedValue(c.kind, row[c.name] ?? null);
            batch.push(stored);
            if (batch.length >= per) await flush();
          }
          opts.onProgress?.({ phase: 'restore', rows: reader.rowsRead, total: manifest.totalRows });
        }
      }
      await flush();
      reader.finish();
      await releaseClaimsAfterRestore(trx);
    });
    await migrateToLatest(db);

    for (const t of manifest.tables) {
      const got = await tableTotals(db, t.name, t.amount !== undefined);
      if (got.rows !== t.rows)
        throw backupMismatch(`restored table ${t.name} has ${got.rows} rows, the backup ${t.rows}`);
      if (got.amount !== t.amount) {
        throw backupMismatch(`restored table ${t.name}: amounts sum to ${got.amount}, the backup's to ${t.amount}`);
      }
    }
    const audit = await verifyAuditChains(db.kysely);
    if (!audit.ok) {
      const b = audit.firstBad;
      throw backupMismatch(`restored audit chain ${b?.chain}: ${b?.problem} at seq ${b?.seq} (${b?.id})`);
    }
    if (key.writeTo) {
      await mkdir(dirname(key.writeTo), { recursive: true });
      writeFileSync(key.writeTo, `${key.key}\n`, { flag: 'wx', mode: 0o600 });
    }
    const names = migrationNames();
    return {
      target: redact(target),
      engine: db.engine,
      tables: manifest.tables.length,
      rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
      schemaVersion: manifest.schemaVersion,
      migratedTo: names[names.length - 1],
      auditChains: audit.chains,
      auditEvents: audit.events,
      ...(key.writeTo ? { secretKeyFile: key.writeTo } : {}),
    };
  } finally {
    await db.close();
  }
}

/** A database URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
