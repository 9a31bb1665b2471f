/**
 * One queue per key: callers with the same key run one at a time, others in parallel. Used so that
 * the checks of one secret are serialised in this process (concurrent correct entries queue instead
 * of all counting as in-flight attempts). The lockout limit itself is kept by the database, across
 * processes: see `checkWithLockout`.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
