import type { Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Work a transaction does once, just before its COMMIT, for every item its use cases handed it:
 * the audit chains' appends and the new jobs' rows. Done once for many items it costs fewer
 * statements than once per item (a chain's head is claimed and moved once, rows go several to a
 * statement), and on SQLite one group-commit batch does it once for all its use cases
 * (`src/db/group-commit.ts`).
 */
export interface GatheredWork<I> {
  /** Runs in the transaction; a throw rolls back the whole transaction (the whole batch on SQLite). */
  flush(tx: Transaction<Database>, items: readonly I[]): Promise<void>;
}

/** Items waiting for their work, by work, in the order they were handed over. */
export class Gathered {
  readonly #items = new Map<GatheredWork<unknown>, unknown[]>();

  /** Adds `item`; true when it is the first item for `work` here. */
  add<I>(work: GatheredWork<I>, item: I): boolean {
    const items = this.#items.get(work as GatheredWork<unknown>);
    if (items) {
      items.push(item);
      return false;
    }
    this.#items.set(work as GatheredWork<unknown>, [item]);
    return true;
  }

  /** Takes over every item of `other`, after this one's. */
  merge(other: Gathered): void {
    for (const [work, items] of other.#items) {
      const mine = this.#items.get(work);
      if (mine) mine.push(...items);
      else this.#items.set(work, [...items]);
    }
  }

  /** Runs every work with its items, in the order the works were first handed an item, and empties. */
  async flush(tx: Transaction<Database>): Promise<void> {
    const all = [...this.#items];
    this.#items.clear();
    for (const [work, items] of all) await work.flush(tx, items);
  }

  /** Runs `work` with its items alone, and forgets them. */
  async flushOne<I>(tx: Transaction<Database>, work: GatheredWork<I>): Promise<void> {
    const items = this.#items.get(work as GatheredWork<unknown>);
    this.#items.delete(work as GatheredWork<unknown>);
    if (items) await work.flush(tx, items as I[]);
  }
}
