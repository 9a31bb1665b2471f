import { describe, expect, it } from 'vitest';
import { hasPrefix, newId } from './ids.js';

describe('ids', () => {
  it('carry their prefix and sort by creation, even within one millisecond', () => {
    const ids = Array.from({ length: 1_000 }, () => newId('re', 1_790_000_000_000));
    expect(ids.every((id) => hasPrefix(id, 're') && /^re_[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1_000);
  });

  it('never go backwards when the clock does', () => {
    const later = newId('pay', 1_790_000_000_500);
    const earlier = newId('pay', 1_790_000_000_100);
    expect(earlier > later).toBe(true);
  });
});
