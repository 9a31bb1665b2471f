import type { ControlledTransaction } from 'kysely';
import type { Db } from './connect.js';
import { Gathered } from './gathered.js';
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
 * batch gets that error: none was acknowledged, none is stored. What the kept use cases handed to
 * the transaction's end (`atEndGathered`: audit events, new jobs) is done once for all of them just
 * before the COMMIT; if that throws, the batch fails the same way.
 *
 * A batch starts on `setImmediate`, after the event loop has read every request that is ready, so
 * concurrent requests meet in it; it takes what is queued, and what queues while it runs, up to
 * `maxUnits` use cases or `maxBatchMs` (`BATCH_LIMITS`), then commits. Alone, a use case waits for no one.
 *
 * A batch does not hold the event loop for all of that: better-sqlite3 resolves every query at
 * once, so its use cases, and then their replies, would run as one chain of microtasks. Every
 * `sliceMs` of its use cases' work it gives the loop a turn (timers, new connections, requests
 * that need no database), and it answers its callers `repliesPerTurn` at a time. The transaction
 * stays open across those turns: other queries wait for the connection (Kysely's mutex), so none
 * sees the batch's uncommitted rows, and the batch still ends in one COMMIT.
 */
export const BATCH_LIMITS = {
  /** Use cases in one batch at most. */
  maxUnits: 64,
  /** A batch takes no more use cases once it has run this long (ms). */
  maxBatchMs: 20,
  /** The event loop gets a turn after this much of the batch's work (ms). */
  sliceMs: 4,
  /** Callers answered per turn of the event loop once the batch has committed. */
  repliesPerTurn: 8,
} as const;
export type BatchLimits = { readonly [K in keyof typeof BATCH_LIMITS]: number };

/** One turn of the event loop: the microtasks queued so far run first, then I/O and timers. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A use case's transaction inside a batch: its own object, so per-transaction state stays its own. */
export type UnitTx = ControlledTransaction<Database, string[]>;

/** A queued use case: `run` does its work in its savepoint; then exactly one of `succeed` or `fail`. */
export interface Unit {
  run(tx: UnitTx): Promise<void>;
  /** What its work left for the end of the transaction (`atEndGathered`): done once for the batch. */
  gathered?: Gathered;
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
  limits: BatchLimits = BATCH_LIMITS;

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
    const gathered = new Gathered();
    let broken: { error: unknown; unit?: Unit } | undefined;
    const { maxUnits, maxBatchMs, sliceMs, repliesPerTurn } = this.limits;
    let slice = started;
    while (this.#queue.length > 0 && done.length < maxUnits) {
      const unit = this.#queue.shift() as Unit;
      const outcome = await runInSavepoint(trx, unit);
      if (outcome === 'kept') {
        done.push(unit);
        if (unit.gathered) gathered.merge(unit.gathered);
      } else if (outcome !== 'undone') {
        broken = { error: outcome.ended, unit };
        break;
      }
      const now = performance.now();
      if (now - started > maxBatchMs) break;
      if (now - slice > sliceMs && this.#queue.length > 0) {
        await nextTurn();
        slice = performance.now();
      }
    }
    if (!broken) {
      try {
        await gathered.flush(trx);
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
    for (let i = 0; i < done.length; i++) {
      if (i > 0 && i % repliesPerTurn === 0) await nextTurn();
      settle(() => done[i].succeed());
    }
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
