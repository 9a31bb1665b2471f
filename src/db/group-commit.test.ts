import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { connect, type Db } from './connect.js';
import type { GatheredWork } from './gathered.js';
import { BATCH_LIMITS, committerOf } from './group-commit.js';
import { atEndGathered, onCommit, transaction } from './transaction.js';

/**
 * Group commit: concurrent use cases share one COMMIT on SQLite, each all-or-nothing in its own
 * savepoint, and none is acknowledged before the COMMIT that covers it. PostgreSQL keeps one
 * transaction per use case with the same outward behaviour.
 */
describe.each(engines())('transactions committed together (%s)', (engine) => {
  let tdb: ThrowawayDatabase;
  let db: Db;
  /** A second, independent connection: what it sees is what is committed. */
  let committed: (n: number) => Promise<boolean>;
  let closeOther: () => Promise<void>;
  let batches: number[];

  beforeAll(async () => {
    tdb = await throwawayDatabase(engine);
    db = connect(tdb.url);
    await sql`create table marks (n integer not null)`.execute(db.kysely);
    if (engine === 'sqlite') {
      const other = new SqliteDatabase(tdb.url.replace(/^sqlite:(\/\/)?/, ''), { readonly: true });
      const stmt = other.prepare('select count(*) as c from marks where n = ?');
      committed = async (n) => (stmt.get(n) as { c: number }).c === 1;
      closeOther = async () => {
        other.close();
      };
    } else {
      const other = connect(tdb.url, { poolSize: 1 });
      committed = async (n) =>
        (await sql<{ c: number }>`select count(*)::int as c from marks where n = ${n}`.execute(other.kysely)).rows[0]
          .c === 1;
      closeOther = () => other.close();
    }
  });
  afterAll(async () => {
    await closeOther?.();
    await db?.close();
    await tdb?.drop();
  });
  beforeEach(() => {
    batches = [];
    if (db.groupCommit) {
      committerOf(db).observer = (units) => batches.push(units);
      committerOf(db).limits = BATCH_LIMITS;
    }
  });

  const insert = (n: number, fail = false) =>
    transaction(db, async (tx) => {
      await sql`insert into marks (n) values (${n})`.execute(tx);
      if (fail) throw new Error(`unit ${n} fails`);
      return n;
    });

  it('commits concurrent use cases together, and acknowledges each only once it is committed', async () => {
    const acknowledged: number[] = [];
    const notYetVisible: number[] = [];
    const ns = Array.from({ length: 100 }, (_, i) => 1_000 + i);
    await Promise.all(
      ns.map((n) =>
        insert(n).then(async (v) => {
          // Checked the moment the caller hears: another connection must already see the row.
          if (!(await committed(v))) notYetVisible.push(v);
          acknowledged.push(v);
        }),
      ),
    );
    expect(notYetVisible).toEqual([]);
    expect(acknowledged.sort()).toEqual(ns);
    if (engine === 'sqlite') {
      expect(batches.reduce((a, b) => a + b, 0)).toBe(100);
      expect(Math.max(...batches)).toBeLessThanOrEqual(BATCH_LIMITS.maxUnits);
      expect(batches.length).toBeLessThan(10); // not one COMMIT (one fsync) per use case
      console.log(`[group commit] 100 concurrent use cases in ${batches.length} commits: ${batches.join(', ')}`);
    }
  });

  it('rolls back a failing use case alone: the others of its batch commit, and it is told at once', async () => {
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => insert(2_000 + i, i % 3 === 1)));
    for (const [i, r] of results.entries()) {
      expect(r.status, `unit ${i}`).toBe(i % 3 === 1 ? 'rejected' : 'fulfilled');
      expect(await committed(2_000 + i), `unit ${i}`).toBe(i % 3 !== 1);
    }
    if (engine === 'sqlite') expect(batches.length).toBeLessThan(30);
  });

  it('runs a use case’s effects after its commit, never a failed one’s, and keeps each use case’s own', async () => {
    const seen: string[] = [];
    await Promise.allSettled(
      [1, 2, 3].map((k) =>
        transaction(db, async (tx) => {
          await sql`insert into marks (n) values (${3_000 + k})`.execute(tx);
          onCommit(tx, () => seen.push(`effect ${k}`));
          if (k === 2) throw new Error('fails');
          expect(seen).not.toContain(`effect ${k}`); // not before its own commit
        }),
      ),
    );
    expect(seen.sort()).toEqual(['effect 1', 'effect 3']);
  });

  it('does gathered work once at the end, with the items of every use case kept, none of one rolled back', async () => {
    const flushes: number[][] = [];
    // Each item is a mark written at the end: the flush's rows commit or roll back with the rest.
    const marksAtEnd: GatheredWork<number> = {
      async flush(tx, items) {
        flushes.push([...items]);
        for (const n of items) await sql`insert into marks (n) values (${n})`.execute(tx);
      },
    };
    const results = await Promise.allSettled(
      Array.from({ length: 9 }, (_, i) =>
        transaction(db, async (tx) => {
          await atEndGathered(tx, marksAtEnd, 7_000 + i * 10);
          await atEndGathered(tx, marksAtEnd, 7_000 + i * 10 + 1);
          if (i % 3 === 1) throw new Error(`unit ${i} fails`);
        }),
      ),
    );
    const kept = [0, 2, 3, 5, 6, 8];
    for (const [i, r] of results.entries()) {
      expect(r.status, `unit ${i}`).toBe(kept.includes(i) ? 'fulfilled' : 'rejected');
      for (const n of [7_000 + i * 10, 7_001 + i * 10]) expect(await committed(n), `mark ${n}`).toBe(kept.includes(i));
    }
    const flushed = flushes.flat();
    expect(flushed.sort()).toEqual(kept.flatMap((i) => [7_000 + i * 10, 7_001 + i * 10]));
    if (engine === 'sqlite')
      expect(flushes.length).toBe(batches.length); // once per batch: here one for all
    else expect(flushes.map((f) => f.length)).toEqual(kept.map(() => 2)); // once per use case's own transaction
  });

  it('fails every use case of the transaction whose gathered work throws: nothing of it is stored', async () => {
    const refused: GatheredWork<number> = {
      async flush(tx, items) {
        await sql`insert into marks (n) values (${items[0]})`.execute(tx);
        throw new Error('the gathered work failed');
      },
    };
    const results = await Promise.allSettled([
      insert(8_000),
      transaction(db, async (tx) => {
        await sql`insert into marks (n) values (8001)`.execute(tx);
        await atEndGathered(tx, refused, 8_002);
      }),
    ]);
    expect(results[1].status).toBe('rejected');
    expect(await committed(8_001)).toBe(false);
    expect(await committed(8_002)).toBe(false);
    // SQLite: the work ran for the whole batch, so its other use case is not stored either.
    expect(results[0].status).toBe(engine === 'sqlite' ? 'rejected' : 'fulfilled');
    expect(await committed(8_000)).toBe(engine !== 'sqlite');
  });

  // SQLite's own: PostgreSQL runs one transaction per use case, so there is no batch to break.
  if (engine === 'sqlite') {
    it('fails every use case of a batch SQLite ended (none acknowledged, none stored) and goes on with the next', async () => {
      const before = insert(4000);
      const ending = transaction(db, async (tx) => {
        await sql`insert into marks (n) values (4001)`.execute(tx);
        await sql`rollback`.execute(tx); // as a disk-full or I/O error would: the whole transaction ends
        throw new Error('the database ended the transaction');
      });
      const [a, b] = await Promise.allSettled([before, ending]);
      expect(a.status).toBe('rejected'); // ran in the same batch, before the failure: never committed
      expect(b.status).toBe('rejected');
      expect(await committed(4000)).toBe(false);
      expect(await committed(4001)).toBe(false);
      expect(await insert(4002)).toBe(4002);
      expect(await committed(4002)).toBe(true);
    });

    it('gives the event loop turns during a long batch, lets no query see it half done, and commits it once', async () => {
      // No batch ends on time here, so what is seen comes from the slicing alone, however slow the machine.
      committerOf(db).limits = { ...BATCH_LIMITS, maxBatchMs: 60_000, sliceMs: 2, repliesPerTurn: 3 };
      const busy = (ms: number) => {
        const until = performance.now() + ms;
        while (performance.now() < until);
      };
      let turnInsideBatch = false;
      let readDuringBatch: Promise<number> | undefined;
      // Counts the event loop's turns: replies given in one chain of microtasks share a number.
      let turn = 0;
      let ticking = true;
      const tick = () => {
        turn++;
        if (ticking) setImmediate(tick);
      };
      const repliedInTurn: number[] = [];
      const units = Array.from({ length: 12 }, (_, i) =>
        transaction(db, async (tx) => {
          await sql`insert into marks (n) values (${6_000 + i})`.execute(tx);
          if (i === 0) {
            setImmediate(tick);
            setImmediate(async () => {
              turnInsideBatch = !(await committed(6_000)); // another connection: not committed yet
              // The same connection as the batch's: this read waits for it to end, then sees all of it.
              readDuringBatch = sql<{ c: number }>`select count(*) as c from marks where n >= 6000 and n < 7000`
                .execute(db.kysely)
                .then((r) => Number(r.rows[0].c));
            });
          }
          busy(1);
        }).then(() => repliedInTurn.push(turn)),
      );
      await Promise.all(units);
      ticking = false;
      expect(turnInsideBatch).toBe(true);
      expect(batches).toEqual([12]);
      expect(await readDuringBatch).toBe(12);
      expect(new Set(repliedInTurn).size).toBe(12 / 3); // three replies per turn
    });

    it('lets a use case alone commit at once, waiting for no one', async () => {
      expect(await insert(5000)).toBe(5000);
      expect(batches).toEqual([1]);
    });
  }
});
