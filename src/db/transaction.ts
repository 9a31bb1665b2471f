import { type Kysely, PostgresAdapter, type Transaction } from 'kysely';
import type { Db } from './connect.js';
import type { Database } from './schema.js';

/** A query runner that is already inside a transaction. Functions that need one take it first. */
export type Tx = Transaction<Database>;
/** Either a transaction or the plain connection, for reads that need no transaction. */
export type Conn = Kysely<Database>;

/**
 * Runs `fn` in one transaction. On SQLite it is BEGIN IMMEDIATE (see connect.ts), which serialises
 * writers; on PostgreSQL it is READ COMMITTED, and money-moving work must lock the row it guards
 * (`lockForUpdate`). Any throw rolls everything back.
 */
export function transaction<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.kysely.transaction().execute(fn);
}

/** True where `SELECT … FOR UPDATE` exists (PostgreSQL); SQLite's write lock already serialises. */
export function hasRowLocks(conn: Conn): boolean {
  return conn.getExecutor().adapter instanceof PostgresAdapter;
}

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
