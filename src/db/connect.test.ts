import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { connect, type Db } from './connect.js';

/** The SQLite connection's settings: durability, locking, zeroed deletes, and what it keeps in memory. */
describe('a SQLite connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'refunddesk-connect-'));
  let db: Db | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await db?.close();
    db = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const pragma = async (name: string) =>
    Object.values((await sql.raw(`pragma ${name}`).execute(db?.kysely as Db['kysely'])).rows[0] as object)[0];

  it('is WAL with synchronous=FULL, busy_timeout, foreign keys, secure_delete, a 2,000 KiB page cache and temp files in memory', async () => {
    db = connect(join(dir, 'pragmas.db'));
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(2); // FULL
    expect(await pragma('busy_timeout')).toBe(5000);
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('secure_delete')).toBe(1);
    // Negative: KiB. better-sqlite3's build default is -16000, which filled up and stayed resident.
    expect(await pragma('cache_size')).toBe(-2000);
    expect(await pragma('temp_store')).toBe(2); // MEMORY: the savepoints' sub-journals stay off the disk
  });

  it('prepares each SQL text once, however often it runs', async () => {
    const prepare = vi.spyOn(SqliteDatabase.prototype, 'prepare');
    db = connect(join(dir, 'statements.db'));
    const countOf = (text: string) => prepare.mock.calls.filter(([s]) => s === text).length;
    for (let i = 0; i < 5; i++) {
      await sql`select ${i} as n`.execute(db.kysely);
      await sql`select ${i} + 1 as n`.execute(db.kysely);
    }
    expect(countOf('select ? as n')).toBe(1);
    expect(countOf('select ? + 1 as n')).toBe(1);
  });
});
