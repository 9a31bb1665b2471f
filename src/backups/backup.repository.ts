import { setImmediate as yieldToLoop } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import type { BackupRunTable } from '../backups/backup.tables.js';
import { type Db, isPostgresUrl } from '../db/connect.js';
import { pgClient } from '../db/pg.js';
import type { Database } from '../db/schema.js';
import type { Tx } from '../db/transaction.js';

/**
 * The SQL of backups: the catalog (which tables, columns, keys), one consistent read of every
 * table, and the load into a target. Tables are found in the catalog, not listed here, so a table
 * a later migration adds is backed up without anyone remembering to.
 */

/** How a column's values travel in a backup; see `portableValue`. */
export type ColumnKind = 'integer' | 'real' | 'text' | 'binary';

export interface TableInfo {
  name: string;
  /** Sorted by name, so both engines list them alike. */
  columns: Array<{ name: string; kind: ColumnKind }>;
  primaryKey: string[];
  /** Tables this one references (foreign keys). */
  references: string[];
}

/** Kysely's own bookkeeping: the schema version is recorded in the manifest instead. */
export const MIGRATION_TABLES = ['kysely_migration', 'kysely_migration_lock'];

export function columnKind(declared: string): ColumnKind {
  const t = declared.toLowerCase().trim();
  if (/^(big|small|tiny|medium)?int(eger)?[248]?$/.test(t) || t === 'boolean' || t === 'bool') return 'integer';
  if (t === 'blob' || t === 'bytea') return 'binary';
  if (/^(real|double|float|numeric|decimal)/.test(t)) return 'real';
  return 'text';
}

/**
 * The one place where engine differences are ironed out, so that the same row reads the same
 * from SQLite and PostgreSQL: integers (pg int8 strings, SQLite BigInts, booleans) as JSON
 * numbers, refusing any beyond 2^53; binary as base64; timestamps as ISO 8601 text; NULL as null.
 */
export function portableValue(kind: ColumnKind, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'integer': {
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
      if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of safe range: ${String(v)}`);
      return n;
    }
    case 'real':
      return Number(v);
    case 'binary':
      return Buffer.isBuffer(v) ? v.toString('base64') : Buffer.from(String(v)).toString('base64');
    default:
      return v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : String(v);
  }
}

/** The value to insert for a portable one. */
export function storedValue(kind: ColumnKind, v: unknown): unknown {
  if (v === null) return null;
  return kind === 'binary' ? Buffer.from(String(v), 'base64') : v;
}

/** Parents before children (foreign keys), else by name: every engine writes tables in one order. */
export function loadOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const out: TableInfo[] = [];
  const visit = (t: TableInfo, path: Set<string>) => {
    if (done.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const r of [...t.references].sort()) {
      const parent = byName.get(r);
      if (parent && r !== t.name) visit(parent, path);
    }
    done.add(t.name);
    out.push(t);
  };
  for (const t of [...tables].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(t, new Set());
  return out;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** One consistent, read-only view of a database, read table by table in primary-key order. */
export interface Snapshot {
  readonly engine: 'sqlite' | 'postgres';
  tables(): Promise<TableInfo[]>;
  /** The last migration applied. */
  schemaVersion(): Promise<string>;
  count(table: string): Promise<number>;
  /** Rows in primary-key order (byte order of text keys on both engines), in batches. */
  rows(table: TableInfo, batch?: number): AsyncGenerator<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * SQLite: a connection of its own (so a server in this process keeps its connection) in one read
 * transaction, which WAL keeps consistent while writers go on. Rows are stepped through with an
 * iterator, a batch at a time, yielding to the event loop between batches.
 */
function sqliteSnapshot(file: string): Snapshot {
  const db = new SqliteDatabase(file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('query_only = ON');
  db.exec('BEGIN');
  // The read transaction's snapshot starts at its first read.
  db.prepare('SELECT count(*) FROM sqlite_master').get();
  return {
    engine: 'sqlite',
    async tables() {
      const names = db
        .prepare(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
        )
        .all() as Array<{ name: string }>;
      return names
        .filter((t) => !MIGRATION_TABLES.includes(t.name))
        .map(({ name }) => {
          const cols = db.prepare(`PRAGMA table_info(${q(name)})`).all() as Array<{
            name: string;
            type: string;
            pk: number;
          }>;
          const fks = db.prepare(`PRAGMA foreign_key_list(${q(name)})`).all() as Array<{ table: string }>;
          const pk = cols
            .filter((c) => c.pk > 0)
            .sort((a, b) => a.pk - b.pk)
            .map((c) => c.name);
          return {
            name,
            columns: cols.map((c) => ({ name: c.name, kind: columnKind(c.type) })).sort(byName),
            primaryKey: pk.length ? pk : cols.map((c) => c.name),
            references: [...new Set(fks.map((f) => f.table))],
          };
        });
    },
    async schemaVersion() {
      const row = db.prepare('SELECT max(name) AS name FROM kysely_migration').get() as { name: string | null };
      if (!row.name) throw new Error('the database has no migrations applied');
      return row.name;
    },
    async count(table) {
      return Number((db.prepare(`SELECT count(*) AS n FROM ${q(table)}`).get() as { n: number }).n);
    },
    async *rows(table, batch = 1000) {
      const stmt = db.prepare(`SELECT * FROM ${q(table.name)} ORDER BY ${table.primaryKey.map(q).join(', ')}`);
      stmt.safeIntegers(true);
      let out: Record<string, unknown>[] = [];
      for (const row of stmt.iterate() as Iterable<Record<string, unknown>>) {
        out.push(row);
        if (out.length < batch) continue;
        yield out;
        out = [];
        await yieldToLoop();
      }
      if (out.length) yield out;
    },
    async close() {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    },
  };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * PostgreSQL: one connection in one REPEATABLE READ READ ONLY transaction, each table read
 * through a server-side cursor, a batch per FETCH. Text keys are ordered with COLLATE "C" (byte
 * order, as SQLite's), whatever the database's collation.
 */
async function postgresSnapshot(url: string): Promise<Snapshot> {
  const client = new (pgClient().Client)({ connectionString: url });
  await client.connect();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  return {
    engine: 'postgres',
    async tables() {
      const cols = await client.query<{ table_name: string; column_name: string; data_type: string }>(
        `SELECT c.table_name, c.column_name, c.data_type
           FROM information_schema.columns c
           JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
          WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`,
      );
      const keys = await client.query<{ table_name: string; column_name: string }>(
        `SELECT tc.table_name, k.column_name
           FROM information_schema.table_constraints tc
           JOIN information_schema.key_column_usage k
             ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
          WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()
          ORDER BY tc.table_name, k.ordinal_position`,
      );
      const fks = await client.query<{ table_name: string; ref: string }>(
        `SELECT DISTINCT tc.table_name, u.table_name AS ref
           FROM information_schema.table_constraints tc
           JOIN information_schema.constraint_column_usage u
             ON u.constraint_name = tc.constraint_name AND u.constraint_schema = tc.table_schema
          WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()`,
      );
      const tables = new Map<string, TableInfo>();
      for (const c of cols.rows) {
        if (MIGRATION_TABLES.includes(c.table_name)) continue;
        const t = tables.get(c.table_name) ?? { name: c.table_name, columns: [], primaryKey: [], references: [] };
        tables.set(c.table_name, t);
        t.columns.push({ name: c.column_name, kind: columnKind(c.data_type) });
      }
      for (const k of keys.rows) tables.get(k.table_name)?.primaryKey.push(k.column_name);
      for (const f of fks.rows) tables.get(f.table_name)?.references.push(f.ref);
      return [...tables.values()].sort(byName).map((t) => ({
        ...t,
        columns: t.columns.sort(byName),
        primaryKey: t.primaryKey.length ? t.primaryKey : t.columns.map((c) => c.name),
      }));
    },
    async schemaVersion() {
      const r = await client.query<{ name: string | null }>('SELECT max(name) AS name FROM kysely_migration');
      if (!r.rows[0]?.name) throw new Error('the database has no migrations applied');
      return r.rows[0].name;
    },
    async count(table) {
      const r = await client.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM ${q(table)}`);
      return Number(r.rows[0].n);
    },
    async *rows(table, batch = 1000) {
      const kinds = new Map(table.columns.map((c) => [c.name, c.kind]));
      const order = table.primaryKey.map((k) => (kinds.get(k) === 'text' ? `${q(k)} COLLATE "C"` : q(k))).join(', ');
      await client.query(`DECLARE backup_rows NO SCROLL CURSOR FOR SELECT * FROM ${q(table.name)} ORDER BY ${order}`);
      try {
        for (;;) {
          const r = await client.query(`FETCH ${batch} FROM backup_rows`);
          if (r.rows.length === 0) return;
          yield r.rows;
        }
      } finally {
        await client.query('CLOSE backup_rows');
      }
    },
    async close() {
      try {
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
    },
  };
}

/** A consistent read of the database at `url` (a SQLite file or a postgres:// URL). */
export async function openSnapshot(url: string): Promise<Snapshot> {
  if (isPostgresUrl(url)) return postgresSnapshot(url);
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file === ':memory:') throw new Error('an in-memory database cannot be backed up from another connection');
  return sqliteSnapshot(file);
}

// biome-ignore lint/suspicious/noExplicitAny: tables are named at run time, from the catalog
type AnyDb = Kysely<any>;

/** Inserts portable rows (already converted with `storedValue`). */
export async function insertRows(trx: Tx, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length) await (trx as unknown as AnyDb).insertInto(table).values(rows).execute();
}

/** Row count and, where the table has an integer `amount`, its sum. */
export async function tableTotals(
  db: Db,
  table: string,
  withAmount: boolean,
): Promise<{ rows: number; amount?: number }> {
  const k = db.kysely as unknown as AnyDb;
  const r = await k
    .selectFrom(table)
    .select((eb) => [eb.fn.countAll().as('n'), ...(withAmount ? [sql<number | null>`sum(amount)`.as('amount')] : [])])
    .executeTakeFirstOrThrow();
  return {
    rows: Number(r.n),
    ...(withAmount ? { amount: Number(r.amount ?? 0) } : {}),
  };
}

/** The tables of `db` (the migration tables included), for the empty check and --force. */
export async function existingTables(db: Db): Promise<string[]> {
  const all = await db.kysely.introspection.getTables({ withInternalKyselyTables: true });
  return all.map((t) => t.name);
}

export async function hasRows(db: Db, table: string): Promise<boolean> {
  const k = db.kysely as unknown as AnyDb;
  const r = await k.selectFrom(table).select(sql`1`.as('one')).limit(1).execute();
  return r.length > 0;
}

/** Drops the given tables, children first (or all at once with CASCADE on PostgreSQL). */
export async function dropTables(db: Db, names: string[]): Promise<void> {
  if (names.length === 0) return;
  if (db.engine === 'postgres') {
    await sql.raw(`DROP TABLE IF EXISTS ${names.map(q).join(', ')} CASCADE`).execute(db.kysely);
    return;
  }
  // SQLite checks foreign keys on DROP: switch them off for the drop (outside any transaction).
  await sql.raw('PRAGMA foreign_keys = OFF').execute(db.kysely);
  try {
    for (const n of names) await sql.raw(`DROP TABLE IF EXISTS ${q(n)}`).execute(db.kysely);
  } finally {
    await sql.raw('PRAGMA foreign_keys = ON').execute(db.kysely);
  }
}

// --- backup_runs (migration 020) ---

export async function insertRun(conn: Kysely<Database>, row: BackupRunTable): Promise<void> {
  await conn.insertInto('backup_runs').values(row).execute();
}

export async function finishRun(
  conn: Kysely<Database>,
  id: string,
  set: Pick<BackupRunTable, 'status' | 'file' | 'bytes' | 'encrypted' | 'verified' | 'error' | 'finished_at'>,
): Promise<void> {
  await conn.updateTable('backup_runs').set(set).where('id', '=', id).execute();
}

export async function findRun(conn: Kysely<Database>, id: string): Promise<BackupRunTable | undefined> {
  return conn.selectFrom('backup_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRuns(conn: Kysely<Database>, limit: number, before?: string): Promise<BackupRunTable[]> {
  let q = conn.selectFrom('backup_runs').selectAll();
  if (before) q = q.where('id', '<', before);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

export async function findRunningSince(conn: Kysely<Database>, since: string): Promise<BackupRunTable | undefined> {
  return conn
    .selectFrom('backup_runs')
    .selectAll()
    .where('status', '=', 'running')
    .where('started_at', '>', since)
    .executeTakeFirst();
}

/** Forgets the file of runs whose file rotation deleted. */
export async function clearFiles(conn: Kysely<Database>, files: string[]): Promise<void> {
  if (files.length) await conn.updateTable('backup_runs').set({ file: null }).where('file', 'in', files).execute();
}

/**
 * The platform admins' addresses, for a failed scheduled backup. Read here rather than through the
 * auth service, which has no such query yet (and is being changed concurrently): one read-only query.
 */
export async function platformAdminEmails(conn: Kysely<Database>): Promise<string[]> {
  const rows = await conn.selectFrom('users').select('email').where('role', '=', 'platform_admin').execute();
  return rows.map((r) => r.email);
}

/** When the newest successful backup run finished, if any did. */
export async function lastSucceededAt(conn: Kysely<Database>): Promise<string | undefined> {
  const row = await conn
    .selectFrom('backup_runs')
    .select((eb) => eb.fn.max('finished_at').as('at'))
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  return row?.at ?? undefined;
}
