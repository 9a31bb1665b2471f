import { randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';

/**
 * argon2id with m = 7 MiB, t = 5, p = 1: one of the settings OWASP's Password Storage Cheat Sheet
 * lists as equally strong (19 MiB / t = 2, 12 MiB / 3, 9 MiB / 4, 7 MiB / 5). Of those, the
 * smallest memory: a hash streams its whole block array through the caches t times, and on a small
 * machine 19 MiB of it at once evicted everyone else's working set — another process hashing one
 * password at a time doubled /healthz's p50 on this project's 2-core machine; 7 MiB at t = 5 left it
 * within noise, took 4.6 ms per hash instead of 7.4, and holds 12 MiB less per hash in flight.
 * Hashes stored with the earlier setting (m=19456,t=2) still verify: their parameters are in
 * their PHC string. @node-rs/argon2 runs each hash as a native async task on libuv's thread pool,
 * so hashing never blocks the event loop; argon2id is its default algorithm, asserted by the tests
 * through the PHC prefix.
 */
const ARGON2_OPTIONS = { memoryCost: 7_168, timeCost: 5, parallelism: 1 } as const;

/**
 * How many hashes run at once: one core fewer than the machine has, at least one. Off the event
 * loop is not enough: libuv's pool runs four at once, and on two cores four hashing threads take
 * the CPU from the event loop, so every other request (a sale, a refund by API key, /healthz) slowed
 * while a burst of password checks ran. Hashes beyond the limit wait their turn, in order, which
 * also keeps pool threads free for file and DNS work. Every check queues alike, right or wrong
 * password, known operator or the decoy, so waiting tells nothing.
 */
export const HASHES_AT_ONCE = Math.max(1, availableParallelism() - 1);
const hashing = pLimit(HASHES_AT_ONCE);

/** Hashes running now, and those waiting for their turn. */
export function hashingQueue(): { running: number; waiting: number } {
  return { running: hashing.activeCount, waiting: hashing.pendingCount };
}

export function hashSecret(secret: string): Promise<string> {
  return hashing(() => hash(secret, ARGON2_OPTIONS));
}

/** Constant-time by construction (argon2's own comparison); false for a malformed stored hash. */
export async function verifySecret(stored: string, secret: string): Promise<boolean> {
  try {
    return await hashing(() => verify(stored, secret));
  } catch {
    return false;
  }
}

// A hash that verifies nothing, so that "no such user" costs the same time as "wrong password".
let decoy: Promise<string> | undefined;
export async function verifyAgainstDecoy(secret: string): Promise<false> {
  decoy ??= hashSecret(randomBytes(16).toString('hex'));
  await verifySecret(await decoy, secret);
  return false;
}

export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
