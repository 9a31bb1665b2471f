import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from './seal.js';

describe('secrets sealed at rest', () => {
  const key = randomBytes(32);

  it('seals with AES-256-GCM and opens with the same key and endpoint id only', () => {
    const sealed = sealSecret(key, 'whsec_abc', 'whe_1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('whsec_abc');
    expect(sealSecret(key, 'whsec_abc', 'whe_1')).not.toBe(sealed);
    expect(openSecret(key, sealed, 'whe_1')).toBe('whsec_abc');
    expect(() => openSecret(key, sealed, 'whe_2')).toThrow(/cannot be decrypted/);
    expect(() => openSecret(randomBytes(32), sealed, 'whe_1')).toThrow(/cannot be decrypted/);
    const [v, iv, ct, tag] = sealed.split('.');
    const flipped = Buffer.from(ct, 'base64url');
    flipped[0] ^= 1;
    expect(() => openSecret(key, [v, iv, flipped.toString('base64url'), tag].join('.'), 'whe_1')).toThrow();
    expect(() => openSecret(key, [v, iv, ct, tag.slice(0, 8)].join('.'), 'whe_1')).toThrow();
    expect(() => openSecret(key, 'whsec_plain', 'whe_1')).toThrow(/not a sealed/);
  });
});
