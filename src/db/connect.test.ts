import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { engines, throwawayDatabase } from '../../test/support/engines.js';
import { connect, type Db } from './connect.js';
import { transaction } from './transaction.js';

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

  /**
   * A database with table t whose write lock a second connection holds, as another process would;
   * `turns` counts this event loop's turns (a 1 ms interval) while `body` runs.
   */
  const withLockHeld = async (
    name: string,
    busyTimeoutMs: number,
    body: (other: SqliteDatabase.Database) => Promise<void>,
  ) => {
    const file = join(dir, name);
    db = connect(file, { busyTimeoutMs });
    await sql`create table t (n integer)`.execute(db.kysely);
    const other = new SqliteDatabase(file);
    other.exec('begin immediate');
    let turns = 0;
    const ticking = setInterval(() => turns++, 1);
    try {
      await body(other);
    } finally {
      clearInterval(ticking);
      if (other.inTransaction) other.exec('rollback');
      other.close();
    }
    expect(turns).toBeGreaterThan(0);
  };
  const insert = (n: number) => transaction(db as Db, (tx) => sql`insert into t (n) values (${n})`.execute(tx));
  const rows = async () => (await sql<{ n: number }>`select n from t`.execute(db?.kysely as Db['kysely'])).rows;

  it('waits for a write lock another connection holds without holding the event loop, then commits', async () => {
    await withLockHeld('lock-wait.db', 2000, async (other) => {
      // Only this process's timers can let the lock go: SQLite's sleeping busy handler would hold the
      // loop for all of busy_timeout and fail with SQLITE_BUSY.
      setTimeout(() => other.exec('commit'), 50);
      await insert(1);
    });
    expect(await rows()).toEqual([{ n: 1 }]);
    expect(await pragma('busy_timeout')).toBe(2000); // restored for every other statement
  });

  it('gives up with SQLITE_BUSY after busy_timeout, the event loop free meanwhile, and stores nothing', async () => {
    await withLockHeld('lock-timeout.db', 150, async () => {
      const started = performance.now();
      await expect(insert(1)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    });
    expect(await rows()).toEqual([]);
    await insert(2); // the connection is usable again at once
    expect(await rows()).toEqual([{ n: 2 }]);
  });
});

describe.each(engines().filter((e) => e === 'postgres'))('a %s connection', (engine) => {
  const keptAfterThreeRuns = async (options: { namedStatements?: boolean }) => {
    const tdb = await throwawayDatabase(engine);
    const db = connect(tdb.url, { poolSize: 1, ...options });
    try {
      for (let i = 0; i < 3; i++)
        expect((await sql<{ n: number }>`select ${i}::int + 1 as n`.execute(db.kysely)).rows).toEqual([{ n: i + 1 }]);
      return (
        await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(
          db.kysely,
        )
      ).rows;
    } finally {
      await db.close();
      await tdb.drop();
    }
  };

  it('parses a statement that takes values once per connection, then runs it by name', async () => {
    expect(await keptAfterThreeRuns({})).toEqual([
      { name: expect.stringMatching(/^rd\d+$/), statement: 'select $1::int + 1 as n' },
    ]);
  });

  it('sends every statement unnamed with PG_NAMED_STATEMENTS=off (a pooler that cannot keep them)', async () => {
    expect(await keptAfterThreeRuns({ namedStatements: false })).toEqual([]);
  });
});
