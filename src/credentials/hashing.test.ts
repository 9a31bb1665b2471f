import { availableParallelism } from 'node:os';
import { hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { HASHES_AT_ONCE, hashingQueue, hashSecret, verifySecret } from './hashing.js';

describe('password hashing', () => {
  it('hashes with argon2id m=7168, t=5, p=1, and still verifies hashes stored with m=19456, t=2', async () => {
    const stored = await hashSecret('135790');
    expect(stored.startsWith('$argon2id$v=19$m=7168,t=5,p=1$')).toBe(true);
    expect(await verifySecret(stored, '135790')).toBe(true);
    expect(await verifySecret(stored, '135791')).toBe(false);
    const earlier = await hash('135790', { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(earlier.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(await verifySecret(earlier, '135790')).toBe(true);
    expect(await verifySecret(earlier, '135791')).toBe(false);
    expect(await verifySecret('not a hash', '135790')).toBe(false);
  });

  it('runs at most one hash fewer than the machine has cores at once (at least one); the rest wait in order', async () => {
    expect(HASHES_AT_ONCE).toBe(Math.max(1, availableParallelism() - 1));
    const stored = await hashSecret('246800');
    const n = HASHES_AT_ONCE * 3 + 1;
    const finished: number[] = [];
    let most = 0;
    const checks = Array.from({ length: n }, (_, i) =>
      verifySecret(stored, i % 2 ? '246800' : '000000').then((ok) => {
        most = Math.max(most, hashingQueue().running);
        finished.push(i);
        return ok;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(hashingQueue()).toEqual({ running: HASHES_AT_ONCE, waiting: n - HASHES_AT_ONCE });
    const results = await Promise.all(checks);
    expect(results).toEqual(Array.from({ length: n }, (_, i) => i % 2 === 1));
    expect(most).toBeLessThanOrEqual(HASHES_AT_ONCE);
    expect(hashingQueue()).toEqual({ running: 0, waiting: 0 });
    if (HASHES_AT_ONCE === 1) expect(finished).toEqual(Array.from({ length: n }, (_, i) => i)); // one queue, in order
  });
});
