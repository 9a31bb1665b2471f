import { describe, expect, it } from 'vitest';
import { format, MoneyError, money } from './money.js';

describe('money', () => {
  it('refuses floats, unsafe integers and bad codes', () => {
    expect(() => money(10.5, 'CNY')).toThrow(MoneyError);
    expect(() => money(2 ** 53, 'CNY')).toThrow(MoneyError);
    expect(() => money(1, 'cny')).toThrow(MoneyError);
  });

  it('formats for people, with the currency’s own minor units', () => {
    expect(format(money(10_000, 'CNY'))).toBe('100.00 CNY');
    expect(format(money(5, 'CNY'))).toBe('0.05 CNY');
    expect(format(money(-250, 'USD'))).toBe('-2.50 USD');
    expect(format(money(1_200, 'JPY'))).toBe('1200 JPY');
  });
});
