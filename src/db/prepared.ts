import { type Compilable, type CompiledQuery, createQueryId, type QueryResult, type RootOperationNode } from 'kysely';
import type { Database } from './schema.js';
import type { Conn } from './transaction.js';

/**
 * Queries built and compiled once, then run with new values: for the statements every refund runs.
 *
 * Kysely builds a tree of frozen nodes for each query and compiles it to SQL text every time it
 * runs: under the refund load that was 55 % of what the server allocated (118 of 213 KB a refund,
 * bench/memory.ts and a sampling heap profile) and about a sixth of its CPU. A prepared query is
 * written as the same Kysely builder, over a stand-in for its values: `build(conn, v)` reads each
 * value it needs from `v`, and every such read is a marker that the first run finds in the
 * compiled parameters; later runs put the values where the markers were. The SQL text is the same
 * as the builder's (so the connection's statement cache, the query log and the EXPLAIN tests see no
 * difference), compiled once per dialect.
 *
 * `build` must take every value from `v`, untouched: anything else it reads is frozen into the
 * query at its first run. A marker refuses to be computed with (added, compared, printed), so
 * `v.a + v.b` throws at once — pass the sum as a value of its own.
 */
export interface Prepared<V, R> {
  /** Every row the query returns. */
  all(conn: Conn, values: V): Promise<R[]>;
  /** The first row, if any. */
  first(conn: Conn, values: V): Promise<R | undefined>;
  /** How many rows an insert, update or delete changed. */
  changed(conn: Conn, values: V): Promise<number>;
}

const MARKER = Symbol('prepared value');
interface Marker {
  readonly [MARKER]: string;
}

function marker(name: string): Marker {
  const refuse = () => {
    throw new Error(`prepared query: the value "${name}" was computed with while the query was built`);
  };
  return { [MARKER]: name, valueOf: refuse, toString: refuse, [Symbol.toPrimitive]: refuse, toJSON: refuse } as Marker;
}

/** A stand-in for the values: each property read is the marker of that name. */
function markers<V>(): V {
  return new Proxy({} as Record<string, Marker>, {
    get: (cache, name) => {
      if (typeof name !== 'string') return undefined;
      cache[name] ??= marker(name);
      return cache[name];
    },
  }) as V;
}

/** Where each parameter comes from: a value's name, or a constant the builder wrote. */
type Slot = { name: string } | { constant: unknown };

interface Compiled {
  sql: string;
  query: RootOperationNode;
  slots: Slot[];
}

export function prepare<V, R>(build: (conn: Conn, v: V) => Compilable<R>): Prepared<V, R> {
  // One compilation per dialect (by its adapter object): SQLite's `?` and PostgreSQL's `$1` differ.
  const byAdapter = new WeakMap<object, Compiled>();
  const compiledFor = (conn: Conn): Compiled => {
    const adapter = conn.getExecutor().adapter;
    let c = byAdapter.get(adapter);
    if (!c) {
      const q = build(conn, markers<V>()).compile();
      c = {
        sql: q.sql,
        query: q.query,
        slots: q.parameters.map((p) =>
          p !== null && typeof p === 'object' && MARKER in p ? { name: (p as Marker)[MARKER] } : { constant: p },
        ),
      };
      byAdapter.set(adapter, c);
    }
    return c;
  };
  const run = (conn: Conn, values: V): Promise<QueryResult<R>> => {
    const c = compiledFor(conn);
    const parameters = c.slots.map((s) => {
      if (!('name' in s)) return s.constant;
      const value = (values as Record<string, unknown>)[s.name];
      return value === undefined ? null : value;
    });
    const compiled: CompiledQuery<R> = { sql: c.sql, query: c.query, parameters, queryId: createQueryId() };
    return conn.executeQuery(compiled);
  };
  return {
    all: async (conn, values) => (await run(conn, values)).rows,
    first: async (conn, values) => (await run(conn, values)).rows[0],
    changed: async (conn, values) => Number((await run(conn, values)).numAffectedRows ?? 0n),
  };
}

/** A row of `T`'s table, as `insertRow` takes it. */
type RowOf<T extends keyof Database> = Database[T];

/**
 * Inserts `row` into `table`, compiled once per table and set of columns (those whose value is not
 * undefined, as Kysely's own `values()` leaves undefined out).
 */
export async function insertRow<T extends keyof Database>(conn: Conn, table: T, row: RowOf<T>): Promise<void> {
  const values = row as unknown as Record<string, unknown>;
  await insertOf({ table, columns: columnsOf(values), count: 1 }).changed(conn, values);
}

/** Rows per statement of `insertRows` at most: it keeps the texts few (one per count up to this). */
export const ROWS_PER_INSERT = 16;

/**
 * Inserts `rows` into `table`, in order, `ROWS_PER_INSERT` at most per statement (one statement
 * for many rows costs one call instead of one each). All rows must have the same columns set.
 * Compiled once per table, set of columns and number of rows.
 */
export async function insertRows<T extends keyof Database>(
  conn: Conn,
  table: T,
  rows: readonly RowOf<T>[],
): Promise<void> {
  if (rows.length === 0) return;
  const all = rows as unknown as Record<string, unknown>[];
  const columns = columnsOf(all[0]);
  const set = columns.join();
  for (let start = 0; start < all.length; start += ROWS_PER_INSERT) {
    const chunk = all.slice(start, start + ROWS_PER_INSERT);
    const values: Record<string, unknown> = {};
    chunk.forEach((row, i) => {
      if (columnsOf(row).join() !== set) throw new Error(`insertRows(${table}): rows set different columns`);
      for (const k of columns) values[valueName(chunk.length, i, k)] = row[k];
    });
    await insertOf({ table, columns, count: chunk.length }).changed(conn, values);
  }
}

/** The columns a row sets: those whose value is not undefined (Kysely's `values()` leaves those out). */
const columnsOf = (row: Record<string, unknown>) => Object.keys(row).filter((k) => row[k] !== undefined);

/** One row's values are named by column; several rows' by row and column (`0.id`, `1.id`…). */
const valueName = (count: number, i: number, column: string) => (count === 1 ? column : `${i}.${column}`);

/**
 * A family of prepared queries whose shape varies with a few things (the columns an update sets,
 * whether a value is tested for NULL): one query prepared per shape, found by `key(shape)`.
 */
export function prepareEach<S, V, R>(
  key: (shape: S) => string,
  build: (conn: Conn, v: V, shape: S) => Compilable<R>,
): (shape: S) => Prepared<V, R> {
  const byKey = new Map<string, Prepared<V, R>>();
  return (shape) => {
    const k = key(shape);
    let p = byKey.get(k);
    if (!p) {
      p = prepare((c, v: V) => build(c, v, shape));
      byKey.set(k, p);
    }
    return p;
  };
}

/** An insert's shape: the table, the columns set, how many rows, and a unique column whose clash inserts nothing. */
interface InsertShape {
  table: keyof Database;
  columns: string[];
  count: number;
  unlessClash?: string;
}

const insertOf = prepareEach<InsertShape, Record<string, unknown>, unknown>(
  (s) => `${s.table}(${s.columns.join(',')})×${s.count}${s.unlessClash ? `?${s.unlessClash}` : ''}`,
  (c, v, { table, columns, count, unlessClash }) => {
    // biome-ignore lint/suspicious/noExplicitAny: the table and its columns are checked by the caller's type
    const q = (c as any)
      .insertInto(table)
      .values(
        Array.from({ length: count }, (_, i) => Object.fromEntries(columns.map((k) => [k, v[valueName(count, i, k)]]))),
      );
    // biome-ignore lint/suspicious/noExplicitAny: as above
    return unlessClash ? q.onConflict((oc: any) => oc.column(unlessClash).doNothing()) : q;
  },
);

/**
 * `insertRow`, except that a row whose `unique` column clashes with a stored row inserts nothing
 * (`ON CONFLICT (unique) DO NOTHING`): true when the row was inserted.
 */
export async function insertRowUnlessClash<T extends keyof Database>(
  conn: Conn,
  table: T,
  row: RowOf<T>,
  unique: keyof RowOf<T> & string,
): Promise<boolean> {
  const values = row as unknown as Record<string, unknown>;
  return (
    (await insertOf({ table, columns: columnsOf(values), count: 1, unlessClash: unique }).changed(conn, values)) === 1
  );
}
