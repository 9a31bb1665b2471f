import type { ControlledTransaction } from 'kysely';
import type { Db } from './connect.js';
import type { Database } from './schema.js';

/**
 * Group commit for SQLite: one COMMIT — one fsync under `synchronous=FULL` — for many use cases.
 *
 * better-sqlite3 is synchronous, so every COMMIT holds the event loop for its fsync, and SQLite has
 * one writer anyway: transactions of one process already run one after another on its single
 * connection. Here the use cases that are waiting run one after another inside one real
 * transaction (BEGIN IMMEDIATE), each in its own SAVEPOINT: a use case that throws is rolled back
 * to its savepoint, alone, and its caller gets its error at once (it wrote nothing); the others'
 * work commits together. A caller's promise resolves only after the COMMIT that covers its work
 * has returned, so nothing is acknowledged before it is durable, and `onCommit` effects (waking
 * the worker, webhooks, e-mail) start only then. If the COMMIT itself fails, every use case of the
 * batch gets that error: none was acknowledged, none is stored.
 *
 * A batch starts on `setImmediate`, after the event loop has read every request that is ready, so
 * concurrent requests meet in it; it takes what is queued, and what queues while it runs, up to
 * `MAX_UNITS` use cases or `MAX_BATCH_MS`, then commits. Alone, a use case waits for no one.
 */
export const MAX_UNITS = 64;
export const MAX_BATCH_MS = 20;

/** A use case's transaction inside a batch: its own object, so per-transaction state stays its own. */
export type UnitTx = ControlledTransaction<Database, string[]>;

/** A queued use case: `run` does its work in its savepoint; then exactly one of `succeed` or `fail`. */
export interface Unit {
  run(tx: UnitTx): Promise<void>;
  /** Its work is committed: resolve the caller, run its effects. */
  succeed(): void;
  /** Its work is not stored: reject the caller. */
  fail(error: unknown): void;
}

/** Told of every batch committed: how many use cases it held and how long it took, COMMIT included. */
export type BatchObserver = (units: number, seconds: number) => void;

class GroupCommitter {
  readonly #db: Db;
  readonly #queue: Unit[] = [];
  #scheduled = false;
  observer?: BatchObserver;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Queues a use case for the next batch. */
  enqueue(unit: Unit): void {
    this.#queue.push(unit);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#drain());
  }

  /** One batch, then back to the event loop: requests read meanwhile join the next one. */
  async #drain(): Promise<void> {
    try {
      await this.#batch();
    } finally {
      this.#scheduled = false;
      if (this.#queue.length > 0) this.#schedule();
    }
  }

  async #batch(): Promise<void> {
    const started = performance.now();
    let trx: ControlledTransaction<Database>;
    try {
      trx = await this.#db.kysely.startTransaction().execute();
    } catch (e) {
      for (const unit of this.#queue.splice(0)) settle(() => unit.fail(e)); // BEGIN failed (e.g. busy): nothing ran
      return;
    }
    const done: Unit[] = [];
    let broken: { error: unknown; unit?: Unit } | undefined;
    while (this.#queue.length > 0 && done.length < MAX_UNITS) {
      const unit = this.#queue.shift() as Unit;
      const outcome = await runInSavepoint(trx, unit);
      if (outcome === 'kept') done.push(unit);
      else if (outcome !== 'undone') {
        broken = { error: outcome.ended, unit };
        break;
      }
      if (performance.now() - started > MAX_BATCH_MS) break;
    }
    if (!broken) {
      try {
        await trx.commit().execute();
      } catch (e) {
        broken = { error: e };
      }
    }
    if (broken) {
      await trx
        .rollback()
        .execute()
        .catch(() => {});
      // Nothing of this batch was committed, nor acknowledged: every use case in it fails.
      const { error, unit } = broken;
      if (unit) settle(() => unit.fail(error));
      for (const u of done) settle(() => u.fail(error));
      return;
    }
    this.observer?.(done.length, (performance.now() - started) / 1000);
    for (const unit of done) settle(() => unit.succeed());
  }
}

/**
 * Runs one use case in its own savepoint: `kept` (released, to commit with the batch), `undone`
 * (rolled back alone, its caller told at once: it wrote nothing that stays), or `ended` when SQLite
 * ended the whole transaction (disk full, I/O error) and the batch is gone.
 */
async function runInSavepoint(
  trx: ControlledTransaction<Database>,
  unit: Unit,
): Promise<'kept' | 'undone' | { ended: unknown }> {
  let sp: UnitTx;
  try {
    sp = await trx.savepoint('unit').execute();
  } catch (e) {
    return { ended: e };
  }
  try {
    await unit.run(sp);
    await sp.releaseSavepoint('unit').execute();
    return 'kept';
  } catch (e) {
    try {
      await sp.rollbackToSavepoint('unit').execute();
      await sp.releaseSavepoint('unit').execute();
    } catch {
      return { ended: e };
    }
    settle(() => unit.fail(e));
    return 'undone';
  }
}

/** Tells one caller; a throwing effect must not leave the others of its batch unanswered. */
function settle(tell: () => void): void {
  try {
    tell();
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

const committers = new WeakMap<Db, GroupCommitter>();

export function committerOf(db: Db): GroupCommitter {
  let c = committers.get(db);
  if (!c) {
    c = new GroupCommitter(db);
    committers.set(db, c);
  }
  return c;
}
