import { type Kysely, PostgresAdapter, type Transaction } from 'kysely';
import type { Db } from './connect.js';
import { Gathered, type GatheredWork } from './gathered.js';
import { committerOf } from './group-commit.js';
import type { Database } from './schema.js';

/** A query runner that is already inside a transaction. Functions that need one take it first. */
export type Tx = Transaction<Database>;
/** Either a transaction or the plain connection, for reads that need no transaction. */
export type Conn = Kysely<Database>;

/** Effects waiting for their transaction to commit, by transaction. */
const afterCommit = new WeakMap<Tx, (() => void)[]>();
/** Work that must be the transaction's last, by transaction (see `atEnd`). */
const lastSteps = new WeakMap<Tx, (() => Promise<void>)[]>();
/** Items for work done once at the end (`atEndGathered`), by transaction, and whether a batch does it. */
const gatheredOf = new WeakMap<Tx, { items: Gathered; byBatch: boolean }>();

/** Told of every transaction's end: how it ended and how long it took (the metrics, src/metrics/). */
export type TransactionObserver = (outcome: 'commit' | 'rollback', seconds: number) => void;
/** By database handle, so apps sharing one process (tests) each see only their own. */
const observers = new WeakMap<Db, TransactionObserver>();

/** Reports every transaction `transaction()` runs on `db` to `observer` (one per database handle). */
export function observeTransactions(db: Db, observer: TransactionObserver): void {
  observers.set(db, observer);
}

/**
 * Runs `fn` in one transaction. On SQLite it is BEGIN IMMEDIATE (see connect.ts), which serialises
 * writers, shared with the other use cases waiting at that moment, each in its own savepoint (group
 * commit, see group-commit.ts); on PostgreSQL it is READ COMMITTED, one per use case (PostgreSQL
 * groups concurrent commits' WAL flushes itself), and money-moving work must lock the row it
 * guards (`lockForUpdate`). Any throw rolls back everything `fn` did, and only that. The promise
 * resolves once the work is committed; effects registered with `onCommit` run then, in order, and
 * never after a rollback.
 */
export async function transaction<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  const part = ownPart(db, fn);
  if (db.groupCommit) {
    // SQLite: the use case runs in its savepoint of the next batch, and hears after its COMMIT.
    return new Promise<T>((resolve, reject) => {
      let value: T;
      committerOf(db).enqueue({
        run: async (trx) => {
          value = await part.run(trx);
        },
        gathered: part.gathered,
        succeed: () => resolve(part.committed(value)),
        fail: (error) => {
          part.rolledBack();
          reject(error);
        },
      });
    });
  }
  let value: T;
  try {
    value = await db.kysely.transaction().execute(part.run);
  } catch (e) {
    part.rolledBack();
    throw e;
  }
  return part.committed(value);
}

/**
 * One use case's part of a transaction, whichever way it commits: `fn` and then its last steps
 * (`atEnd`, `atEndGathered`) in `trx`; once committed, the observer told and the `onCommit`
 * effects run, in order. In a group-commit batch its gathered items are left to the batch.
 */
function ownPart<T>(db: Db, fn: (trx: Tx) => Promise<T>) {
  const effects: (() => void)[] = [];
  const steps: (() => Promise<void>)[] = [];
  const gathered = new Gathered();
  const observer = observers.get(db);
  const started = observer ? performance.now() : 0;
  const seconds = () => (performance.now() - started) / 1000;
  return {
    async run(trx: Tx): Promise<T> {
      afterCommit.set(trx, effects);
      lastSteps.set(trx, steps);
      gatheredOf.set(trx, { items: gathered, byBatch: db.groupCommit });
      const value = await fn(trx);
      for (let i = 0; i < steps.length; i++) await steps[i](); // in order; a step may add more
      return value;
    },
    committed(value: T): T {
      observer?.('commit', seconds());
      for (const effect of effects) effect();
      return value;
    },
    rolledBack(): void {
      observer?.('rollback', seconds());
    },
    gathered,
  };
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

/**
 * Runs `step` inside the transaction `tx`, after the caller's work and just before COMMIT, in the
 * order registered. The audit chain's appends run there (through `atEndGathered`): appending takes
 * the merchant's chain row lock, and taken last in every transaction it can never stand between
 * two other locks taken in opposite orders (the money checker found a sale and a counter refund
 * deadlocked on PostgreSQL: one held the chain and wanted the terminal's 凭证号 counter, the other
 * the reverse). Outside a transaction opened by `transaction()` the step runs at once.
 */
export async function atEnd(tx: Tx, step: () => Promise<void>): Promise<void> {
  const steps = lastSteps.get(tx);
  if (steps) steps.push(step);
  else await step();
}

/**
 * Hands `item` to `work`, which runs once at the transaction's end for every item handed to it
 * there (`GatheredWork`): in the use case's `atEnd` order on PostgreSQL, where the transaction is
 * the use case's own; on SQLite after every use case of the group-commit batch, once for all of
 * them, just before the batch's COMMIT (items of a use case rolled back to its savepoint are
 * dropped with it). Outside a transaction opened by `transaction()` the work runs at once.
 */
export async function atEndGathered<I>(tx: Tx, work: GatheredWork<I>, item: I): Promise<void> {
  const state = gatheredOf.get(tx);
  if (!state) return work.flush(tx, [item]);
  if (state.items.add(work, item) && !state.byBatch) {
    await atEnd(tx, () => state.items.flushOne(tx, work));
  }
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
