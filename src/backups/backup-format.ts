import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import {
  backupCorrupt,
  backupKeyRequired,
  backupKeyWrong,
  backupNotEncrypted,
  backupTruncated,
} from './backup.errors.js';

/**
 * The backup file (`.rdbackup`), the same whichever engine wrote it:
 *
 *   header   one JSON line: {"format":"refunddesk.backup/1","encryption":null | {…}}
 *   body     frames: kind (1 ASCII byte) + length (u32 big-endian) + payload
 *              H  intro JSON (version, schema, engine, row total) — first
 *              T  table JSON {name, columns, primaryKey}, then its data:
 *              D  one gzip member of NDJSON rows (the members of a table form one gzip stream)
 *              M  manifest JSON
 *              Z  SHA-256 of every body byte before it — last; nothing may follow
 *
 * Encrypted (BACKUP_KEY): the body is cut into segments of at most SEGMENT_BYTES, each sealed with
 * AES-256-GCM and written as u32 length + ciphertext + 16-byte tag. The key is scrypt(passphrase,
 * salt); the nonce is the header's 7-byte prefix + the segment index (u32) + a final flag (1 on
 * the last segment only); the additional data is the SHA-256 of the header line. So a segment
 * cannot be altered, reordered, dropped or cut off, nor the header edited, without a tag failing;
 * a file that ends before its final segment is truncated. Nothing is handed on before its tag
 * checks. The header's `keyCheck` tells a wrong passphrase from a damaged file.
 */
export const BACKUP_FORMAT = 'refunddesk.backup/1';
export const SEGMENT_BYTES = 64 * 1024;
const MAX_FRAME = 16 * 1024 * 1024;
const MAX_HEADER = 4096;
const TAG = 16;

export interface EncryptionHeader {
  cipher: 'aes-256-gcm';
  kdf: 'scrypt';
  salt: string;
  N: number;
  r: number;
  p: number;
  noncePrefix: string;
  segmentBytes: number;
  keyCheck: string;
}

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  encryption: EncryptionHeader | null;
}

export type FrameKind = 'H' | 'T' | 'D' | 'M' | 'Z';

// scrypt at N=2^15, r=8: 32 MiB and ~0.1 s per try (OWASP's minimum is N=2^17 for passwords that
// guard logins; a backup passphrase should be long, and this runs once per file).
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };

async function deriveKeys(passphrase: string, e: Pick<EncryptionHeader, 'salt' | 'N' | 'r' | 'p'>) {
  const out = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      passphrase.normalize('NFC'),
      Buffer.from(e.salt, 'base64'),
      64,
      { N: e.N, r: e.r, p: e.p, maxmem: 256 * e.N * e.r },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
  return {
    key: out.subarray(0, 32),
    check: createHash('sha256').update(out.subarray(32)).digest('hex').slice(0, 32),
  };
}

export async function newEncryption(passphrase: string): Promise<{ header: EncryptionHeader; key: Buffer }> {
  const base = { salt: randomBytes(16).toString('base64'), ...SCRYPT };
  const { key, check } = await deriveKeys(passphrase, base);
  return {
    header: {
      cipher: 'aes-256-gcm',
      kdf: 'scrypt',
      ...base,
      noncePrefix: randomBytes(7).toString('hex'),
      segmentBytes: SEGMENT_BYTES,
      keyCheck: check,
    },
    key,
  };
}

function nonce(prefix: Buffer, index: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, 7);
  n[11] = final ? 1 : 0;
  return n;
}

export function headerLine(header: BackupHeader): Buffer {
  return Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
}

export function frame(kind: FrameKind, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'ascii');
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Appends the `Z` frame (SHA-256 of all body bytes before it) after the body's own frames. */
export async function* sealBody(frames: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  for await (const f of frames) {
    hash.update(f);
    yield f;
  }
  yield frame('Z', hash.digest());
}

/** Cuts the body into AES-256-GCM segments (see the file comment). */
export async function* encryptBody(
  body: AsyncIterable<Buffer>,
  key: Buffer,
  header: BackupHeader,
): AsyncGenerator<Buffer> {
  const enc = header.encryption as EncryptionHeader;
  const prefix = Buffer.from(enc.noncePrefix, 'hex');
  const aad = createHash('sha256').update(headerLine(header)).digest();
  let index = 0;
  let pending: Buffer[] = [];
  let size = 0;
  const seal = (plain: Buffer, final: boolean) => {
    const c = createCipheriv('aes-256-gcm', key, nonce(prefix, index++, final));
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(plain), c.final()]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(ct.length, 0);
    return Buffer.concat([len, ct, c.getAuthTag()]);
  };
  for await (const chunk of body) {
    pending.push(chunk);
    size += chunk.length;
    if (size <= enc.segmentBytes) continue;
    let all = Buffer.concat(pending);
    // Keep at least one byte back, so the final segment is never empty unless the body is.
    while (all.length > enc.segmentBytes) {
      yield seal(all.subarray(0, enc.segmentBytes), false);
      all = all.subarray(enc.segmentBytes);
    }
    pending = [all];
    size = all.length;
  }
  yield seal(Buffer.concat(pending), true);
}

/** Reads exact byte counts from a stream of chunks. */
export class ByteReader {
  #it: AsyncIterator<Buffer>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;
  /** Bytes handed out so far. */
  consumed = 0;
  constructor(source: AsyncIterable<Buffer>) {
    this.#it = source[Symbol.asyncIterator]();
  }
  async #fill(n: number): Promise<boolean> {
    while (this.#buf.length < n && !this.#done) {
      const r = await this.#it.next();
      if (r.done) this.#done = true;
      else this.#buf = this.#buf.length ? Buffer.concat([this.#buf, r.value]) : r.value;
    }
    return this.#buf.length >= n;
  }
  /** Exactly `n` bytes; @throws backup_truncated when the stream ends first */
  async read(n: number): Promise<Buffer> {
    if (!(await this.#fill(n))) throw backupTruncated();
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    this.consumed += n;
    return out;
  }
  async atEnd(): Promise<boolean> {
    return !(await this.#fill(1));
  }
  /** Up to and without the next newline, which must come within `max` bytes. */
  async line(max: number): Promise<Buffer> {
    for (;;) {
      const i = this.#buf.indexOf(10);
      if (i >= 0) {
        const out = this.#buf.subarray(0, i);
        this.#buf = this.#buf.subarray(i + 1);
        this.consumed += i + 1;
        return out;
      }
      if (this.#buf.length > max) throw backupCorrupt('the file does not start with a RefundDesk backup header');
      if (!(await this.#fill(this.#buf.length + 1))) {
        throw this.#buf.length ? backupTruncated() : backupCorrupt('the file is empty');
      }
    }
  }
  /** What is left, chunk by chunk. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.#buf.length) yield this.#buf;
    this.#buf = Buffer.alloc(0);
    if (this.#done) return;
    for (;;) {
      const r = await this.#it.next();
      if (r.done) return;
      yield r.value;
    }
  }
}

export async function readHeader(reader: ByteReader): Promise<{ header: BackupHeader; line: Buffer }> {
  const raw = await reader.line(MAX_HEADER);
  let header: BackupHeader;
  try {
    header = JSON.parse(raw.toString('utf8')) as BackupHeader;
  } catch {
    throw backupCorrupt('the file does not start with a RefundDesk backup header');
  }
  if (header?.format !== BACKUP_FORMAT) throw backupCorrupt(`not a ${BACKUP_FORMAT} file`);
  const e = header.encryption;
  if (
    e !== null &&
    !(
      e?.cipher === 'aes-256-gcm' &&
      e.kdf === 'scrypt' &&
      Number.isInteger(e.N) &&
      e.N >= 2 ** 14 &&
      e.N <= 2 ** 20 &&
      e.r >= 1 &&
      e.r <= 16 &&
      e.p >= 1 &&
      e.p <= 4 &&
      e.segmentBytes > 0 &&
      e.segmentBytes <= MAX_FRAME &&
      /^[0-9a-f]{14}$/.test(e.noncePrefix)
    )
  ) {
    throw backupCorrupt('the encryption header is not one this RefundDesk writes');
  }
  return { header, line: Buffer.concat([raw, Buffer.from('\n')]) };
}

/**
 * The plaintext body. A segment is handed on only once its tag checks.
 * @throws backup_key_required, backup_key_wrong, backup_corrupt, backup_truncated
 */
export async function* openBody(
  reader: ByteReader,
  header: BackupHeader,
  headerBytes: Buffer,
  passphrase: string | undefined,
): AsyncGenerator<Buffer> {
  const enc = header.encryption;
  if (!enc) {
    if (passphrase) throw backupNotEncrypted();
    yield* reader.rest();
    return;
  }
  if (!passphrase) throw backupKeyRequired();
  const { key, check } = await deriveKeys(passphrase, enc);
  if (!timingSafeEqual(Buffer.from(check), Buffer.from(String(enc.keyCheck)))) throw backupKeyWrong();
  const prefix = Buffer.from(enc.noncePrefix, 'hex');
  const aad = createHash('sha256').update(headerBytes).digest();
  for (let index = 0; ; index++) {
    const len = (await reader.read(4)).readUInt32BE(0);
    if (len > enc.segmentBytes) throw backupCorrupt(`segment ${index} is longer than a segment may be`);
    const body = await reader.read(len + TAG);
    const final = await reader.atEnd();
    const d = createDecipheriv('aes-256-gcm', key, nonce(prefix, index, final));
    d.setAAD(aad);
    d.setAuthTag(body.subarray(len));
    let plain: Buffer;
    try {
      plain = Buffer.concat([d.update(body.subarray(0, len)), d.final()]);
    } catch {
      // The last segment present failing as final but not as non-final means the file was cut off.
      if (final && len === enc.segmentBytes) throw backupTruncated();
      throw backupCorrupt(`segment ${index} fails its authentication tag (the file was modified)`);
    }
    yield plain;
    if (final) return;
  }
}

export interface Frame {
  kind: FrameKind;
  payload: Buffer;
}

/** The body's frames, checking the closing `Z` digest and that nothing follows it. */
export async function* readFrames(body: AsyncIterable<Buffer>): AsyncGenerator<Frame> {
  const reader = new ByteReader(body);
  const hash = createHash('sha256');
  for (;;) {
    if (await reader.atEnd()) throw backupTruncated();
    const head = await reader.read(5);
    const kind = head.toString('ascii', 0, 1) as FrameKind;
    const len = head.readUInt32BE(1);
    if (!'HTDMZ'.includes(kind) || len > MAX_FRAME) throw backupCorrupt('a frame of the body is malformed');
    const payload = await reader.read(len);
    if (kind === 'Z') {
      if (!payload.equals(hash.digest())) throw backupCorrupt('the body digest does not match (the file was modified)');
      if (!(await reader.atEnd())) throw backupCorrupt('data follows the end of the backup');
      yield { kind, payload };
      return;
    }
    hash.update(head);
    hash.update(payload);
    yield { kind, payload };
  }
}
