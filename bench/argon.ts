import { hashSecret, verifySecret } from '../src/credentials/hashing.js';
import { sha256Hex } from '../src/crypto/sha256.js';
import { DEMO } from '../src/seed/demo.js';
import { type LatencySummary, summarise } from './stats.js';

export interface ArgonResult {
  /** argon2id verify of the right refund password, sequential, ms each. */
  right: LatencySummary;
  /** The same with a wrong password: argon2 runs in full either way. */
  wrong: LatencySummary;
  /** One SHA-256 of the same six digits (what API keys and session tokens use), ms each. */
  sha256Ms: number;
  /** `concurrency` verifies kept in flight: verifies per second, and how many ran at once in effect. */
  parallel: { concurrency: number; perSecond: number; effectiveParallelism: number };
}

/**
 * Phase 2, in this process: the cost of one refund-password check as RefundDesk does it
 * (src/credentials/hashing.ts, a hash made by hashSecret, checked by verifySecret).
 */
export async function measureArgon(runs: number, concurrency: number): Promise<ArgonResult> {
  const password = DEMO.refundPassword;
  const stored = await hashSecret(password);
  for (let i = 0; i < 5; i++) await verifySecret(stored, password); // warm-up
  const right: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved, so drift on a noisy machine falls on both alike.
    const t0 = performance.now();
    if (!(await verifySecret(stored, password))) throw new Error('verifySecret rejected the right password');
    const t1 = performance.now();
    if (await verifySecret(stored, '000000')) throw new Error('verifySecret accepted a wrong password');
    const t2 = performance.now();
    right.push(t1 - t0);
    wrong.push(t2 - t1);
  }

  // SHA-256 takes about a microsecond: time a batch and divide.
  const n = 200_000;
  let sink = 0;
  const s0 = performance.now();
  for (let i = 0; i < n; i++) sink += sha256Hex(password).length;
  const sha256Ms = (performance.now() - s0) / n;
  if (sink !== n * 64) throw new Error('sha256 sanity check failed');

  const total = concurrency * 8;
  let next = 0;
  const p0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await verifySecret(stored, password);
    }),
  );
  const seconds = (performance.now() - p0) / 1000;
  const perSecond = total / seconds;
  const rightSummary = summarise(right);
  return {
    right: rightSummary,
    wrong: summarise(wrong),
    sha256Ms,
    parallel: { concurrency, perSecond, effectiveParallelism: perSecond / (1000 / rightSummary.mean) },
  };
}
