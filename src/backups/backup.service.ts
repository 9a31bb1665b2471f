import { createHash, hkdfSync } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { verifyAuditChains } from '../audit/audit.service.js';
import { auditHash, GENESIS_HASH, type HashedFields } from '../audit/audit-event.js';
import { systemClock } from '../clock.js';
import { type Config, loadConfig } from '../config.js';
import type { AppContext } from '../context.js';
import { canonicalJson } from '../crypto/canonical-json.js';
import { connect, type Db, type Engine } from '../db/connect.js';
import { migrateTo, migrateToLatest, migrationNames } from '../db/migrate.js';
import { transaction } from '../db/transaction.js';
import { releaseClaimsAfterRestore } from '../jobs/job.service.js';
import { REFUNDDESK_VERSION } from '../paths.js';
import { loadOrCreateKeyFile, parseSecretKey, secretKeyFile } from '../secret-key.js';
import {
  backupCorrupt,
  backupMismatch,
  backupNewerVersion,
  backupSecretKeyMismatch,
  backupTargetNotEmpty,
} from './backup.errors.js';
import {
  dropTables,
  existingTables,
  hasRows,
  insertRows,
  loadOrder,
  MIGRATION_TABLES,
  openSnapshot,
  portableValue,
  type Snapshot,
  storedValue,
  type TableInfo,
  tableTotals,
} from './backup.repository.js';
import {
  BACKUP_FORMAT,
  type BackupHeader,
  ByteReader,
  encryptBody,
  type Frame,
  frame,
  headerLine,
  newEncryption,
  openBody,
  readFrames,
  readHeader,
  sealBody,
} from './backup-format.js';

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

type KeyConfig = Pick<Config, 'databaseUrl' | 'secretKey'>;

/** The server's SECRET_KEY (or its key file) for the database at `config.databaseUrl`. */
export function masterSecretKey(config: KeyConfig): Buffer {
  return config.secretKey ? parseSecretKey(config.secretKey) : loadOrCreateKeyFile(secretKeyFile(config.databaseUrl));
}

export function secretKeyFingerprint(key: Buffer): string {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'refunddesk:fingerprint', 16)).toString('hex');
}

const GZIP_MEMBER_BYTES = 256 * 1024;
const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

function portableRow(t: TableInfo, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of t.columns) out[c.name] = portableValue(c.kind, row[c.name]);
  return out;
}

const hasAmount = (t: Pick<TableInfo, 'columns'>) => t.columns.some((c) => c.name === 'amount' && c.kind === 'integer');

async function* backupBody(
  snap: Snapshot,
  intro: BackupIntro,
  tables: TableInfo[],
  secret: { fingerprint: string; key?: string },
  progress?: Progress,
): AsyncGenerator<Buffer> {
  yield frame('H', json(intro));
  const manifestTables: ManifestTable[] = [];
  const heads: BackupManifest['auditChains'] = [];
  let done = 0;
  for (const t of tables) {
    yield frame('T', json({ name: t.name, columns: t.columns, primaryKey: t.primaryKey }));
    const hash = createHash('sha256');
    const withAmount = hasAmount(t);
    let rows = 0;
    let amount = 0;
    let lines: string[] = [];
    let size = 0;
    for await (const batch of snap.rows(t)) {
      for (const raw of batch) {
        const row = portableRow(t, raw);
        const line = `${canonicalJson(row)}\n`;
        hash.update(line);
        lines.push(line);
        size += line.length;
        rows++;
        if (withAmount) amount += Number(row.amount ?? 0);
        if (t.name === 'audit_chains') {
          heads.push({ chain: String(row.chain), seq: Number(row.last_seq), hash: String(row.last_hash) });
        }
      }
      done += batch.length;
      progress?.({ phase: 'backup', rows: done, total: intro.totalRows });
      if (size < GZIP_MEMBER_BYTES) continue;
      yield frame('D', gzipSync(lines.join('')));
      lines = [];
      size = 0;
    }
    if (lines.length) yield frame('D', gzipSync(lines.join('')));
    manifestTables.push({ name: t.name, rows, sha256: hash.digest('hex'), ...(withAmount ? { amount } : {}) });
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    ...intro,
    tables: manifestTables,
    auditChains: heads,
    secretKeyFingerprint: secret.fingerprint,
    ...(secret.key ? { secretKey: secret.key } : {}),
  };
  yield frame('M', json(manifest));
}

export interface BackupResult {
  file: string;
  bytes: number;
  encrypted: boolean;
  /** The manifest, without the secret key. */
  manifest: Omit<BackupManifest, 'secretKey'>;
}

/**
 * Writes a backup of the database at `config.databaseUrl` to `out`, from one consistent read
 * (see backup.repository.ts), while the server goes on serving and writing: every write committed
 * before it starts is in it. Written to `out.partial`, synced, then renamed, so a file named `out`
 * is always whole. Encrypted, and carrying the SECRET_KEY, when `passphrase` is given.
 */
export async function createBackup(
  config: KeyConfig,
  out: string,
  opts: { passphrase?: string; now?: Date; onProgress?: Progress } = {},
): Promise<BackupResult> {
  const master = masterSecretKey(config);
  const encryption = opts.passphrase ? await newEncryption(opts.passphrase) : undefined;
  const header: BackupHeader = { format: BACKUP_FORMAT, encryption: encryption?.header ?? null };
  const snap = await openSnapshot(config.databaseUrl);
  const partial = `${out}.partial`;
  let manifest: BackupManifest | undefined;
  try {
    const tables = loadOrder(await snap.tables());
    let totalRows = 0;
    for (const t of tables) totalRows += await snap.count(t.name);
    const intro: BackupIntro = {
      createdAt: (opts.now ?? new Date()).toISOString(),
      refunddeskVersion: REFUNDDESK_VERSION,
      schemaVersion: await snap.schemaVersion(),
      engine: snap.engine,
      totalRows,
    };
    const secret = { fingerprint: secretKeyFingerprint(master), key: encryption ? master.toString('hex') : undefined };
    const body = async function* () {
      for await (const f of backupBody(snap, intro, tables, secret, opts.onProgress)) {
        if (f[0] === 0x4d) manifest = JSON.parse(f.subarray(5).toString('utf8'));
        yield f;
      }
    };
    const sealed = sealBody(body());
    await mkdir(dirname(out), { recursive: true });
    await pipeline(
      async function* () {
        yield headerLine(header);
        yield* encryption ? encryptBody(sealed, encryption.key, header) : sealed;
      },
      createWriteStream(partial, { mode: 0o600 }),
    );
    const fh = await open(partial, 'r+');
    await fh.sync();
    await fh.close();
    await rename(partial, out);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  } finally {
    await snap.close();
  }
  const { secretKey: _omit, ...shown } = manifest as BackupManifest;
  return { file: out, bytes: (await stat(out)).size, encrypted: !!encryption, manifest: shown };
}

/** What a reader of the file sees, in order. */
type BackupEvent =
  | { kind: 'intro'; intro: BackupIntro }
  | { kind: 'table'; table: Pick<TableInfo, 'name' | 'columns' | 'primaryKey'> }
  | { kind: 'rows'; rows: Record<string, unknown>[] }
  | { kind: 'manifest'; manifest: BackupManifest };

function parseJson<T>(f: Frame, what: string): T {
  try {
    return JSON.parse(f.payload.toString('utf8')) as T;
  } catch {
    throw backupCorrupt(`the ${what} is not valid JSON`);
  }
}

/**
 * Reads the file, hashing every table as it goes and checking every audit row and chain, and
 * yields what it reads. `finish` (called after the manifest) names the first thing that does not
 * match. Decryption and the body digest fail on any modified or truncated byte.
 */
class BackupReader {
  #tables: ManifestTable[] = [];
  #current?: { info: BackupEvent & { kind: 'table' }; hash: ReturnType<typeof createHash>; m: ManifestTable };
  #chains = new Map<string, { sum: bigint; events: number }>();
  #heads = new Map<string, { seq: number; hash: string }>();
  #firstAuditProblem?: string;
  intro?: BackupIntro;
  encrypted = false;
  manifest?: BackupManifest;
  rowsRead = 0;

  async *events(file: string, passphrase?: string): AsyncGenerator<BackupEvent> {
    const reader = new ByteReader(createReadStream(file, { highWaterMark: 256 * 1024 }));
    const { header, line } = await readHeader(reader);
    this.encrypted = header.encryption !== null;
    for await (const f of readFrames(openBody(reader, header, line, passphrase))) {
      if (f.kind === 'Z') break;
      // H first, then T (each followed by its D frames), then M once; only Z after M.
      const allowed = !this.intro ? f.kind === 'H' : !this.manifest && (f.kind !== 'D' || !!this.#current);
      if (!allowed || (f.kind === 'H') === !!this.intro) throw backupCorrupt(`a ${f.kind} frame out of place`);
      if (f.kind === 'H') {
        this.intro = parseJson<BackupIntro>(f, 'intro');
        yield { kind: 'intro', intro: this.intro };
      } else if (f.kind === 'T') {
        this.#endTable();
        const table = parseJson<TableInfo>(f, 'table header');
        const m: ManifestTable = { name: table.name, rows: 0, sha256: '', ...(hasAmount(table) ? { amount: 0 } : {}) };
        this.#current = { info: { kind: 'table', table }, hash: createHash('sha256'), m };
        yield this.#current.info;
      } else if (f.kind === 'D') {
        yield { kind: 'rows', rows: this.#rows(f) };
      } else {
        this.#endTable();
        this.manifest = parseJson<BackupManifest>(f, 'manifest');
      }
    }
    if (!this.manifest) throw backupCorrupt('the manifest is missing');
    yield { kind: 'manifest', manifest: this.manifest };
  }

  #rows(f: Frame): Record<string, unknown>[] {
    const cur = this.#current;
    if (!cur) throw backupCorrupt('rows before any table');
    let text: string;
    try {
      text = gunzipSync(f.payload, { maxOutputLength: 256 * 1024 * 1024 }).toString('utf8');
    } catch {
      throw backupCorrupt(`the rows of ${cur.m.name} do not decompress`);
    }
    cur.hash.update(text);
    const out: Record<string, unknown>[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line);
      } catch {
        throw backupCorrupt(`a row of ${cur.m.name} is not valid JSON`);
      }
      cur.m.rows++;
      if (cur.m.amount !== undefined) cur.m.amount += Number(row.amount ?? 0);
      if (cur.m.name === 'audit_events') this.#auditRow(row);
      if (cur.m.name === 'audit_chains') {
        this.#heads.set(String(row.chain), { seq: Number(row.last_seq), hash: String(row.last_hash) });
      }
      out.push(row);
    }
    this.rowsRead += out.length;
    return out;
  }

  /**
   * Rows come in id order, not chain order, so links are checked without holding the chain: the
   * sum (mod 2^256) of H(chain, seq − 1, prev_hash) over a chain's rows must equal the sum of
   * H(chain, seq, hash) over them, less the head plus the genesis link. With every row's own hash
   * checked (it covers seq and prev_hash), a missing, extra, moved or re-linked row breaks it.
   */
  #auditRow(row: Record<string, unknown>) {
    const chain = String(row.chain);
    const seq = Number(row.seq);
    if (!this.#firstAuditProblem && auditHash(row as unknown as HashedFields) !== row.hash) {
      this.#firstAuditProblem = `audit chain ${chain}: event ${String(row.id)} (seq ${seq}) does not match its hash`;
    }
    const c = this.#chains.get(chain) ?? { sum: 0n, events: 0 };
    c.sum = (c.sum + linkHash(chain, seq - 1, String(row.prev_hash)) - linkHash(chain, seq, String(row.hash))) % MOD;
    c.events++;
    this.#chains.set(chain, c);
  }

  #endTable() {
    if (!this.#current) return;
    this.#current.m.sha256 = this.#current.hash.digest('hex');
    this.#tables.push(this.#current.m);
    this.#current = undefined;
  }

  /** @throws backup_mismatch naming the first table, count, amount or audit chain that differs */
  finish(): BackupManifest {
    const m = this.manifest as BackupManifest;
    if (m.format !== BACKUP_FORMAT || !Array.isArray(m.tables)) throw backupCorrupt('the manifest is malformed');
    const listed = m.tables.map((t) => t.name).join(',');
    if (listed !== this.#tables.map((t) => t.name).join(',')) {
      throw backupMismatch('the tables in the file are not those the manifest lists');
    }
    m.tables.forEach((want, i) => {
      const got = this.#tables[i];
      if (got.rows !== want.rows)
        throw backupMismatch(`table ${want.name}: ${got.rows} rows, the manifest says ${want.rows}`);
      if (got.sha256 !== want.sha256)
        throw backupMismatch(`table ${want.name}: its SHA-256 does not match the manifest`);
      if (got.amount !== want.amount)
        throw backupMismatch(`table ${want.name}: amounts sum to ${got.amount}, the manifest says ${want.amount}`);
    });
    if (this.#firstAuditProblem) throw backupMismatch(this.#firstAuditProblem);
    for (const [chain, c] of this.#chains) {
      const head = this.#heads.get(chain);
      if (!head) throw backupMismatch(`audit chain ${chain}: it has events but no head`);
      const closes = (c.sum + linkHash(chain, head.seq, head.hash) - linkHash(chain, 0, GENESIS_HASH)) % MOD === 0n;
      if (c.events !== head.seq || !closes) {
        throw backupMismatch(
          `audit chain ${chain}: its events do not link from the first to the head (seq ${head.seq})`,
        );
      }
    }
    for (const [chain, head] of this.#heads) {
      if (!this.#chains.has(chain) && head.seq !== 0)
        throw backupMismatch(`audit chain ${chain}: a head but no events`);
    }
    const heads = [...this.#heads].map(([chain, h]) => `${chain}:${h.seq}:${h.hash}`).sort();
    const listedHeads = (m.auditChains ?? []).map((h) => `${h.chain}:${h.seq}:${h.hash}`).sort();
    if (heads.join() !== listedHeads.join()) throw backupMismatch('the audit chain heads differ from the manifest');
    return m;
  }
}

const MOD = 2n ** 256n;
function linkHash(chain: string, seq: number, hash: string): bigint {
  return BigInt(`0x${createHash('sha256').update(`${chain}\n${seq}\n${hash}`).digest('hex')}`);
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

export interface VerifyResult {
  ok: true;
  encrypted: boolean;
  manifest: Omit<BackupManifest, 'secretKey'>;
}

/**
 * Reads the whole file: its integrity (tags or digest), every table against its hash, row count
 * and amount, every audit row's hash and every chain's links and head.
 * @throws backup_corrupt, backup_truncated, backup_key_required, backup_key_wrong,
 *   backup_not_encrypted, backup_mismatch (naming the first thing that differs)
 */
export async function verifyBackup(
  file: string,
  opts: { passphrase?: string; onProgress?: Progress } = {},
): Promise<VerifyResult & { secretKey?: string }> {
  const r = new BackupReader();
  let total = 0;
  for await (const e of r.events(file, opts.passphrase)) {
    if (e.kind === 'intro') total = Number(e.intro.totalRows) || 0;
    if (e.kind === 'rows') opts.onProgress?.({ phase: 'verify', rows: r.rowsRead, total });
  }
  const { secretKey, ...manifest } = r.finish();
  return { ok: true, encrypted: r.encrypted, manifest, ...(secretKey ? { secretKey } : {}) };
}

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

function contextFor(db: Db, target: string, secretKey: string): AppContext {
  return { db, clock: systemClock, config: { ...loadConfig({}), databaseUrl: target, secretKey }, wakeWorker() {} };
}

/**
 * Restores `file` into `target` (a SQLite path or a postgres:// URL), whichever engine made it:
 * verifies the whole file first (nothing is loaded from a damaged one), migrates the target to
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
    const audit = await verifyAuditChains(contextFor(db, target, key.key));
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
