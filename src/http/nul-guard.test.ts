import { describe, expect, it } from 'vitest';
import { findNul } from './nul-guard.js';

describe('findNul', () => {
  it('names where a NUL character hides: in a value, a key, or the whole value', () => {
    expect(findNul({ a: [1, { b: 'x\u0000' }] })).toBe('a.1.b');
    expect(findNul({ ok: 1, 'k\u0000': 1 })).toBe('(a key)');
    expect(findNul('\u0000')).toBe('(value)');
  });

  it('finds none in ordinary JSON, even with a literal backslash-u in it', () => {
    expect(findNul({ a: 'ok \\u0000', b: [null, 1, true, { c: '退款' }] })).toBeUndefined();
    expect(findNul(undefined)).toBeUndefined();
  });

  it('walks 30 000 nested arrays without overflowing the stack', () => {
    let deep: unknown = ['\u0000'];
    for (let i = 0; i < 30_000; i++) deep = [deep];
    expect(findNul(deep)).toBe(Array(30_002).fill('0').join('.').slice(0, -2));
  });
});
