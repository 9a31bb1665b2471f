import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { auditHash, GENESIS_HASH, type HashedFields } from '../audit/audit-event.js';
import { backupCorrupt, backupMismatch } from './backup.errors.js';
import type { TableInfo } from './backup.repository.js';
import { BACKUP_FORMAT, ByteReader, type Frame, openBody, readFrames, readHeader } from './backup-format.js';
import type { BackupIntro, BackupManifest, ManifestTable } from './backup-manifest.js';
import { hasAmount } from './backup-manifest.js';

/** Reading a backup file: frames, decryption, tables and rows, re-checked as they stream (never a whole table in memory). */

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
export class BackupReader {
  #tables: ManifestTable[] = [];
  #current?: { info: BackupEvent & { kind: 'table' }; hash: ReturnType<typeof createHash>; m: ManifestTable };
  #chains = new Map<string, { sum: bigint; events: number }>();
  #heads = new Map<string, { seq: number; hash: string }>();
  #firstAuditProblem?: string;
  intro?: BackupIntro;
  encrypted = false;
  manifest?: BackupManifest;
  rowsRead = 0;

  /** The intro alone (who made the file, its schema), read without going on through the file. */
  async readIntro(file: string, passphrase?: string): Promise<BackupIntro> {
    for await (const e of this.events(file, passphrase)) if (e.kind === 'intro') return e.intro;
    throw backupCorrupt('the intro is missing');
  }

  async *events(file: string, passphrase?: string): AsyncGenerator<BackupEvent> {
    const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
    try {
      yield* this.#events(stream, passphrase);
    } finally {
      stream.destroy(); // also when the caller stops early
    }
  }

  async *#events(stream: ReturnType<typeof createReadStream>, passphrase?: string): AsyncGenerator<BackupEvent> {
    const reader = new ByteReader(stream);
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
export function linkHash(chain: string, seq: number, hash: string): bigint {
  return BigInt(`0x${createHash('sha256').update(`${chain}\n${seq}\n${hash}`).digest('hex')}`);
}
