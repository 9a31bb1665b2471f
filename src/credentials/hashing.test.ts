import { hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { hashSecret, verifySecret } from './hashing.js';

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
});
