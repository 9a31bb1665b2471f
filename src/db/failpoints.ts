/**
 * Failpoints: named places in a money path where a test may pause a transaction (to make a race
 * certain instead of likely), and bugs a test may plant to prove that the money checker catches
 * them. Nothing is armed in production: an unarmed failpoint is one Map lookup.
 */
const pauses = new Map<string, () => Promise<void>>();

/** The bugs the checker's self-test plants (test/money/money-checker.test.ts). */
export type PlantedBug =
  /** `lockPayment` reads the payment without locking it (PostgreSQL; SQLite's write lock still holds). */
  | 'skip_payment_lock'
  /** A new refund is not held to what is still refundable (the payment's sums and CHECK still are). */
  | 'skip_refundable_check'
  /** A refund that gives up its reservation (rejected, canceled, final failure) leaves it counted. */
  | 'forget_release';
const planted = new Set<PlantedBug>();

/** Where a money path lets a test in. Awaits the test's hook when one is armed. */
export async function failpoint(name: string): Promise<void> {
  const hook = pauses.get(name);
  if (hook) await hook();
}

/** Arms `name`: the code reaching it awaits `hook`. Returns the disarm function. */
export function armFailpoint(name: string, hook: () => Promise<void>): () => void {
  pauses.set(name, hook);
  return () => pauses.delete(name);
}

export function isPlanted(bug: PlantedBug): boolean {
  return planted.size > 0 && planted.has(bug);
}

/** Plants `bug` until the returned function is called. Tests only. */
export function plantBug(bug: PlantedBug): () => void {
  planted.add(bug);
  return () => planted.delete(bug);
}
