import { availableParallelism } from 'node:os';
import { describe, expect, it, vi } from 'vitest';

/**
 * The queue in front of the hashes, with argon2 replaced by a stand-in that notes when each check
 * starts and how many run at once: what is asserted holds whatever the machine's core count.
 */
const argon = vi.hoisted(() => ({ running: 0, most: 0, started: [] as string[] }));
vi.mock('@node-rs/argon2', () => ({
  hash: async (secret: string) => `stand-in:${secret}`,
  verify: async (stored: string, secret: string) => {
    argon.started.push(secret);
    argon.running++;
    argon.most = Math.max(argon.most, argon.running);
    await new Promise((resolve) => setTimeout(resolve, 2));
    argon.running--;
    return stored === `stand-in:${secret}`;
  },
}));

const { HASHES_AT_ONCE, hashingQueue, hashSecret, verifySecret } = await import('./hashing.js');

describe('the password-hash queue', () => {
  it('runs at most one hash fewer than the machine has cores at once (at least one); the rest start in order', async () => {
    expect(HASHES_AT_ONCE).toBe(Math.max(1, availableParallelism() - 1));
    const stored = await hashSecret('246800');
    const n = HASHES_AT_ONCE * 3 + 1;
    const secrets = Array.from({ length: n }, (_, i) => (i % 2 ? '246800' : `00000${i}`));
    argon.started = [];
    const checks = secrets.map((secret) => verifySecret(stored, secret));
    await new Promise((resolve) => setImmediate(resolve));
    expect(hashingQueue()).toEqual({ running: HASHES_AT_ONCE, waiting: n - HASHES_AT_ONCE });
    expect(await Promise.all(checks)).toEqual(secrets.map((_, i) => i % 2 === 1));
    expect(argon.most).toBe(HASHES_AT_ONCE);
    expect(argon.started).toEqual(secrets);
    expect(hashingQueue()).toEqual({ running: 0, waiting: 0 });
  });
});
