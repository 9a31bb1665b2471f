import { hkdfSync } from 'node:crypto';
import type { Config } from '../config.js';
import type { Engine } from '../db/connect.js';
import { migrationNames } from '../db/migrate.js';
import { REFUNDDESK_VERSION } from '../paths.js';
import { loadOrCreateKeyFile, parseSecretKey, secretKeyFile } from '../secret-key.js';
import { backupNewerVersion } from './backup.errors.js';
import type { TableInfo } from './backup.repository.js';
import type { BACKUP_FORMAT } from './backup-format.js';

/** What a backup file says about itself (its manifest), the secret key's fingerprint, and whether this RefundDesk can restore it. */

/** What the backup says about itself before any table: checked before anything is loaded. */
export interface BackupIntro {
  createdAt: string;
  refunddeskVersion: string;
  schemaVersion: string;
  engine: Engine;
  totalRows: number;
}

export interface ManifestTable {
  name: string;
  rows: number;
  /** SHA-256 (hex) of the table's NDJSON: one canonicalJson line per row, in primary-key order. */
  sha256: string;
  /** Sum of the integer `amount` column, where the table has one. */
  amount?: number;
}

export interface BackupManifest extends BackupIntro {
  format: typeof BACKUP_FORMAT;
  tables: ManifestTable[];
  /** Every audit chain's head (`audit_chains`) at the moment of the backup. */
  auditChains: Array<{ chain: string; seq: number; hash: string }>;
  /** Identifies the SECRET_KEY the data's sealed fields need, without revealing it. */
  secretKeyFingerprint: string;
  /** The SECRET_KEY itself (hex): only in an encrypted backup. */
  secretKey?: string;
}

export type Progress = (p: { phase: 'backup' | 'verify' | 'restore'; rows: number; total: number }) => void;

export type KeyConfig = Pick<Config, 'databaseUrl' | 'secretKey'>;

/** The server's SECRET_KEY (or its key file) for the database at `config.databaseUrl`. */
export function masterSecretKey(config: KeyConfig): Buffer {
  return config.secretKey ? parseSecretKey(config.secretKey) : loadOrCreateKeyFile(secretKeyFile(config.databaseUrl));
}

export function secretKeyFingerprint(key: Buffer): string {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'refunddesk:fingerprint', 16)).toString('hex');
}

function versionParts(v: string): number[] {
  return v
    .split(/[.+-]/)
    .slice(0, 3)
    .map((p) => Number.parseInt(p, 10) || 0);
}

/** @throws backup_from_newer_version */
export function assertRestorable(intro: BackupIntro): void {
  const [a, b] = [versionParts(intro.refunddeskVersion), versionParts(REFUNDDESK_VERSION)];
  const newer = a.findIndex((x, i) => x !== b[i]);
  if (newer >= 0 && a[newer] > b[newer]) {
    throw backupNewerVersion(
      `the backup was made by RefundDesk ${intro.refunddeskVersion}, this is ${REFUNDDESK_VERSION}`,
    );
  }
  if (!migrationNames().includes(intro.schemaVersion)) {
    throw backupNewerVersion(
      `the backup's schema ${intro.schemaVersion} is unknown to RefundDesk ${REFUNDDESK_VERSION}`,
    );
  }
}

/** Whether a table has an `amount` column, whose sum the manifest records. */
export const hasAmount = (t: Pick<TableInfo, 'columns'>) =>
  t.columns.some((c) => c.name === 'amount' && c.kind === 'integer');
