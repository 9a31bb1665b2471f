import { describe, expect, it } from 'vitest';
import { add, format, isGreaterThan, MoneyError, money, subtract, sum } from './money.js';

describe('money', () => {
  it('adds and subtracts integers of minor units in one currency', () => {
    expect(add(money(1_050, 'CNY'), money(25, 'CNY'))).toEqual({ amount: 1_075, currency: 'CNY' });
    expect(subtract(money(1_000, 'CNY'), money(1, 'CNY')).amount).toBe(999);
    expect(sum('CNY', [money(1, 'CNY'), money(2, 'CNY')]).amount).toBe(3);
    expect(isGreaterThan(money(2, 'CNY'), money(1, 'CNY'))).toBe(true);
  });

  it('refuses floats, unsafe integers, bad codes and mixed currencies', () => {
    expect(() => money(10.5, 'CNY')).toThrow(MoneyError);
    expect(() => money(2 ** 53, 'CNY')).toThrow(MoneyError);
    expect(() => money(1, 'cny')).toThrow(MoneyError);
    expect(() => add(money(1, 'CNY'), money(1, 'USD'))).toThrow(/mismatch/);
  });

  it('formats for people, with the currency’s own minor units', () => {
    expect(format(money(10_000, 'CNY'))).toBe('100.00 CNY');
    expect(format(money(5, 'CNY'))).toBe('0.05 CNY');
    expect(format(money(-250, 'USD'))).toBe('-2.50 USD');
    expect(format(money(1_200, 'JPY'))).toBe('1200 JPY');
  });
});
