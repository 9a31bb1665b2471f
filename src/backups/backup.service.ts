import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { canonicalJson } from '../crypto/canonical-json.js';
import { REFUNDDESK_VERSION } from '../paths.js';
import { loadOrder, openSnapshot, portableValue, type Snapshot, type TableInfo } from './backup.repository.js';
import {
  BACKUP_FORMAT,
  type BackupHeader,
  encryptBody,
  frame,
  headerLine,
  newEncryption,
  sealBody,
} from './backup-format.js';
import {
  type BackupIntro,
  type BackupManifest,
  hasAmount,
  type KeyConfig,
  type ManifestTable,
  masterSecretKey,
  type Progress,
  secretKeyFingerprint,
} from './backup-manifest.js';
import { BackupReader } from './backup-reader.js';

const GZIP_MEMBER_BYTES = 256 * 1024;
const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

function portableRow(t: TableInfo, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of t.columns) out[c.name] = portableValue(c.kind, row[c.name]);
  return out;
}

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
