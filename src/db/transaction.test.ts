import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { connect, type Db } from './connect.js';
import { onCommit, transaction } from './transaction.js';

describe.each(engines())('after-commit effects (%s)', (engine) => {
  let tdb: ThrowawayDatabase;
  let db: Db;
  beforeAll(async () => {
    tdb = await throwawayDatabase(engine);
    db = connect(tdb.url);
    await sql`create table marks (n integer not null)`.execute(db.kysely);
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('runs an effect after COMMIT, when the data is visible outside the transaction, in order', async () => {
    const seen: string[] = [];
    const result = await transaction(db, async (tx) => {
      await sql`insert into marks (n) values (1)`.execute(tx);
      onCommit(tx, () => seen.push('first'));
      onCommit(tx, () => seen.push('second'));
      expect(seen).toEqual([]); // not before commit
      return 'done';
    });
    expect(result).toBe('done');
    expect(seen).toEqual(['first', 'second']);
    const rows = await sql<{ n: number }>`select n from marks`.execute(db.kysely);
    expect(rows.rows.map((r) => Number(r.n))).toEqual([1]);
  });

  it('never runs an effect of a transaction that rolls back', async () => {
    const seen: string[] = [];
    await expect(
      transaction(db, async (tx) => {
        await sql`insert into marks (n) values (2)`.execute(tx);
        onCommit(tx, () => seen.push('woken'));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(seen).toEqual([]);
    const rows = await sql<{ n: number }>`select n from marks where n = 2`.execute(db.kysely);
    expect(rows.rows).toEqual([]);
  });

  it('refuses an effect on a transaction that transaction() did not open', async () => {
    await expect(db.kysely.transaction().execute(async (tx) => onCommit(tx, () => {}))).rejects.toThrow(
      /not a transaction opened by transaction\(\)/,
    );
  });
});
