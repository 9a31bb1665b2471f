import { type Kysely, PostgresAdapter, type Transaction } from 'kysely';
import type { Db } from './connect.js';
import type { Database } from './schema.js';

/** A query runner that is already inside a transaction. Functions that need one take it first. */
export type Tx = Transaction<Database>;
/** Either a transaction or the plain connection, for reads that need no transaction. */
export type Conn = Kysely<Database>;

/** Effects waiting for their transaction to commit, by transaction. */
const afterCommit = new WeakMap<Tx, (() => void)[]>();

/**
 * Runs `fn` in one transaction. On SQLite it is BEGIN IMMEDIATE (see connect.ts), which serialises
 * writers; on PostgreSQL it is READ COMMITTED, and money-moving work must lock the row it guards
 * (`lockForUpdate`). Any throw rolls everything back. Effects registered with `onCommit` run after
 * COMMIT, in order, and never after a rollback.
 */
export async function transaction<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  const effects: (() => void)[] = [];
  const result = await db.kysely.transaction().execute((trx) => {
    afterCommit.set(trx, effects);
    return fn(trx);
  });
  for (const effect of effects) effect();
  return result;
}

/**
 * Runs `effect` once the transaction `tx` has committed (never if it rolls back): waking the worker
 * for a job queued in it, say. A service called inside its caller's transaction registers its
 * effects here, so nothing acts on data before it is visible. The effect must not throw.
 */
export function onCommit(tx: Tx, effect: () => void): void {
  const effects = afterCommit.get(tx);
  if (!effects) throw new Error('onCommit: not a transaction opened by transaction()');
  effects.push(effect);
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
