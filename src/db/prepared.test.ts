import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { connect, type Db } from './connect.js';
import { migrateToLatest } from './migrate.js';
import { insertRow, insertRows, insertRowUnlessClash, prepare, prepareEach, ROWS_PER_INSERT } from './prepared.js';
import { transaction } from './transaction.js';

/** Queries compiled once and run with new values: the same SQL and the same results as Kysely's own. */
describe.each(engines())('prepared queries (%s)', (engine) => {
  let tdb: ThrowawayDatabase;
  let db: Db;
  const statements: string[] = [];

  beforeAll(async () => {
    tdb = await throwawayDatabase(engine);
    db = connect(tdb.url, { onQuery: (text) => statements.push(text) });
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });

  const bump = prepare((c, v: { chain: string; by: number; hash: string }) =>
    c
      .updateTable('audit_chains')
      .set((eb) => ({ last_seq: eb('last_seq', '+', v.by), last_hash: v.hash }))
      .where('chain', '=', v.chain)
      .where('last_hash', '<>', 'frozen'),
  );
  const byChain = prepare((c, v: { chain: string }) =>
    c.selectFrom('audit_chains').selectAll().where('chain', '=', v.chain),
  );

  it('runs the SQL Kysely builds, with each run’s values and the constants the builder wrote', async () => {
    await insertRow(db.kysely, 'audit_chains', { chain: 'a', last_seq: 1, last_hash: 'h1' });
    await insertRow(db.kysely, 'audit_chains', { chain: 'b', last_seq: 5, last_hash: 'frozen' });
    statements.length = 0;
    expect(await bump.changed(db.kysely, { chain: 'a', by: 2, hash: 'h2' })).toBe(1);
    expect(await bump.changed(db.kysely, { chain: 'a', by: 3, hash: 'h3' })).toBe(1);
    expect(await bump.changed(db.kysely, { chain: 'b', by: 1, hash: 'x' })).toBe(0); // the constant 'frozen' held
    expect(await bump.changed(db.kysely, { chain: 'nope', by: 1, hash: 'x' })).toBe(0);
    const head = (r?: { chain: string; last_seq: number | string; last_hash: string }) =>
      r && { chain: r.chain, seq: Number(r.last_seq), hash: r.last_hash.trim() }; // PostgreSQL pads char(64)
    expect(head(await byChain.first(db.kysely, { chain: 'a' }))).toEqual({ chain: 'a', seq: 6, hash: 'h3' });
    expect((await byChain.all(db.kysely, { chain: 'b' })).map(head)).toEqual([{ chain: 'b', seq: 5, hash: 'frozen' }]);
    expect(await byChain.first(db.kysely, { chain: 'nope' })).toBeUndefined();
    const built = db.kysely
      .updateTable('audit_chains')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_hash: 'x' }))
      .where('chain', '=', 'x')
      .where('last_hash', '<>', 'frozen')
      .compile().sql;
    expect(statements[0]).toBe(built);
  });

  it('builds and compiles once for every call, inside transactions too', async () => {
    let builds = 0;
    const counted = prepare((c, v: { chain: string }) => {
      builds++;
      return c.selectFrom('audit_chains').select('chain').where('chain', '=', v.chain);
    });
    await insertRow(db.kysely, 'audit_chains', { chain: 'once', last_seq: 1, last_hash: 'h' });
    for (const chain of ['once', 'nope']) await counted.all(db.kysely, { chain });
    await transaction(db, async (tx) => {
      expect(await counted.all(tx, { chain: 'once' })).toEqual([{ chain: 'once' }]);
    });
    expect(builds).toBe(1);
  });

  it('runs inside a transaction, and is undone with it', async () => {
    await insertRow(db.kysely, 'audit_chains', { chain: 'tx', last_seq: 1, last_hash: 'before' });
    await expect(
      transaction(db, async (tx) => {
        await bump.changed(tx, { chain: 'tx', by: 100, hash: 'in-tx' });
        expect((await byChain.first(tx, { chain: 'tx' }))?.last_hash.trim()).toBe('in-tx');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await byChain.first(db.kysely, { chain: 'tx' }))?.last_hash.trim()).toBe('before');
  });

  it('inserts rows by their set of columns, leaving undefined out as Kysely does', async () => {
    await insertRow(db.kysely, 'seed_runs', { name: 'one', started_at: 't1', completed_at: 't2' });
    await insertRow(db.kysely, 'seed_runs', { name: 'two', started_at: 't3', completed_at: null });
    await insertRow(db.kysely, 'seed_runs', { name: 'three', started_at: 't4', completed_at: undefined as never });
    const rows = await db.kysely
      .selectFrom('seed_runs')
      .selectAll()
      .where('name', 'in', ['one', 'two', 'three'])
      .orderBy('started_at')
      .execute();
    expect(rows).toEqual([
      { name: 'one', started_at: 't1', completed_at: 't2' },
      { name: 'two', started_at: 't3', completed_at: null },
      { name: 'three', started_at: 't4', completed_at: null },
    ]);
    await expect(
      insertRow(db.kysely, 'seed_runs', { name: 'one', started_at: 't5', completed_at: null }),
    ).rejects.toThrow();
  });

  it('inserts many rows, several to a statement, in order, with the one-row text for one row', async () => {
    const run = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `many-${from + i}`,
        started_at: `m${from + i}`,
        completed_at: null,
      }));
    statements.length = 0;
    await insertRows(db.kysely, 'seed_runs', run(ROWS_PER_INSERT + 1, 100));
    expect(statements).toHaveLength(2); // a full statement, then one row
    expect(statements[0].match(/\(/g)?.length).toBe(ROWS_PER_INSERT + 1); // the column list, then one per row
    const [one] = statements.splice(1);
    statements.length = 0;
    await insertRow(db.kysely, 'seed_runs', run(1, 200)[0]);
    expect(statements).toEqual([one]); // one row is insertRow's own statement
    await insertRows(db.kysely, 'seed_runs', []);
    expect(statements).toHaveLength(1); // no rows, no statement
    const rows = await db.kysely
      .selectFrom('seed_runs')
      .selectAll()
      .where('name', 'like', 'many-%')
      .orderBy('started_at')
      .execute();
    expect(rows).toEqual([...run(ROWS_PER_INSERT + 1, 100), ...run(1, 200)]);
    await expect(
      insertRows(db.kysely, 'seed_runs', [
        { name: 'x1', started_at: 'x', completed_at: null },
        { name: 'x2', started_at: 'x', completed_at: undefined as never },
      ]),
    ).rejects.toThrow(/different columns/);
  });

  it('prepares one query per shape, and inserts nothing on a clash of the unique column named', async () => {
    const finish = prepareEach(
      (s: { setsEnd: boolean }) => String(s.setsEnd),
      (c, v: { name: string; end: string | null }, s) =>
        c
          .updateTable('seed_runs')
          .set(s.setsEnd ? { completed_at: v.end } : { started_at: 'restarted' })
          .where('name', '=', v.name),
    );
    const run = (started: string) => ({ name: 'shape', started_at: started, completed_at: null });
    expect(await insertRowUnlessClash(db.kysely, 'seed_runs', run('s'), 'name')).toBe(true);
    expect(await insertRowUnlessClash(db.kysely, 'seed_runs', run('again'), 'name')).toBe(false);
    statements.length = 0;
    expect(await finish({ setsEnd: true }).changed(db.kysely, { name: 'shape', end: 'e1' })).toBe(1);
    expect(await finish({ setsEnd: false }).changed(db.kysely, { name: 'shape', end: null })).toBe(1);
    expect(finish({ setsEnd: true })).toBe(finish({ setsEnd: true })); // the same prepared query for a shape
    expect(statements[0]).toMatch(/set "completed_at" = /);
    expect(statements[1]).toMatch(/set "started_at" = /);
    expect(await db.kysely.selectFrom('seed_runs').selectAll().where('name', '=', 'shape').executeTakeFirst()).toEqual({
      name: 'shape',
      started_at: 'restarted',
      completed_at: 'e1',
    });
  });

  it('refuses a builder that computes with a value instead of passing it', async () => {
    const wrong = prepare((c, v: { a: number; b: number }) =>
      c
        .selectFrom('audit_chains')
        .selectAll()
        .where('last_seq', '=', v.a + v.b),
    );
    await expect(wrong.all(db.kysely, { a: 1, b: 2 })).rejects.toThrow('"a" was computed with');
    const printed = prepare((c, v: { chain: string }) =>
      c.selectFrom('audit_chains').selectAll().where('chain', '=', `${v.chain}-x`),
    );
    await expect(printed.all(db.kysely, { chain: 'a' })).rejects.toThrow('"chain" was computed with');
  });

  it('passes a missing value as NULL', async () => {
    const finish = prepare((c, v: { name: string; at?: string | null }) =>
      c.updateTable('seed_runs').set({ completed_at: v.at }).where('name', '=', v.name),
    );
    await insertRow(db.kysely, 'seed_runs', { name: 'finished', started_at: 't1', completed_at: 't2' });
    expect(await finish.changed(db.kysely, { name: 'finished' })).toBe(1);
    const row = await db.kysely.selectFrom('seed_runs').selectAll().where('name', '=', 'finished').executeTakeFirst();
    expect(row?.completed_at).toBeNull();
  });
});
