import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  ByteReader,
  type Frame,
  frame,
  headerLine,
  readFrames,
  readHeader,
  sealBody,
} from '../../src/backups/backup-format.js';
import type { BackupIntro, BackupManifest } from '../../src/backups/backup-manifest.js';

/**
 * Copies a plain backup file, rewriting its intro (`H`) and manifest (`M`) frames, and recomputes
 * the closing digest (`Z`) as `createBackup` does: the copy is whole as a file (not `backup_corrupt`),
 * so only what it says can be wrong. For tests of what verify and restore check beyond integrity.
 */
export async function forgeBackup(
  from: string,
  to: string,
  edit: { intro?: (i: BackupIntro) => BackupIntro; manifest?: (m: BackupManifest) => BackupManifest },
): Promise<void> {
  const reader = new ByteReader(createReadStream(from));
  const { header } = await readHeader(reader);
  if (header.encryption) throw new Error('forgeBackup takes a plain (unencrypted) backup');
  const rewrite = (f: Frame, fn?: (v: never) => unknown) =>
    fn ? frame(f.kind, Buffer.from(JSON.stringify(fn(JSON.parse(f.payload.toString('utf8')) as never)))) : undefined;
  async function* body() {
    for await (const f of readFrames(reader.rest())) {
      if (f.kind === 'Z') return;
      const edited = f.kind === 'H' ? rewrite(f, edit.intro) : f.kind === 'M' ? rewrite(f, edit.manifest) : undefined;
      yield edited ?? frame(f.kind, f.payload);
    }
  }
  await pipeline(async function* () {
    yield headerLine(header);
    yield* sealBody(body());
  }, createWriteStream(to));
}
