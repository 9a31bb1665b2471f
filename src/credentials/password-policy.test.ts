import { describe, expect, it } from 'vitest';
import {
  consolePasswordViolation,
  daysUntilExpiry,
  defaultPolicy,
  mergePolicy,
  operatorPasswordViolation,
  refundPasswordViolation,
} from './password-policy.js';

const p = defaultPolicy;

describe('refund password rules', () => {
  it.each([
    ['12345', 'password_too_short'],
    ['1234567890123', 'password_too_long'],
    ['73a946', 'password_not_digits'],
    ['７３１９４６', 'password_not_digits'],
    ['000000', 'password_trivial'],
    ['777777', 'password_trivial'],
    ['123456', 'password_trivial'],
    ['654321', 'password_trivial'],
    ['890123', 'password_trivial'],
    ['121212', 'password_trivial'],
    ['123123', 'password_trivial'],
    ['520131', 'password_common'],
    ['147258', 'password_common'],
    ['168168', 'password_trivial'],
  ])('refuses %s with %s', (pin, code) => {
    expect(refundPasswordViolation(pin, p)).toBe(code);
  });

  it('accepts an ordinary six to twelve digit PIN', () => {
    for (const pin of ['731946', '604825', '93017452', '820461937512'])
      expect(refundPasswordViolation(pin, p)).toBeNull();
  });

  it('refuses the merchant’s phone number or a six-digit run of it', () => {
    const phones = ['+86 138-0013-8000'];
    expect(refundPasswordViolation('13800138000', p, { phones })).toBe('password_personal_info');
    expect(refundPasswordViolation('001380', p, { phones })).toBe('password_personal_info');
    expect(refundPasswordViolation('731946', p, { phones })).toBeNull();
  });

  it('lets a merchant override lengths while keeping the rest of the platform policy', () => {
    const strict = mergePolicy(p, { refundPassword: { minLength: 8 } });
    expect(refundPasswordViolation('731946', strict)).toBe('password_too_short');
    expect(strict.refundPassword.maxLength).toBe(12);
    expect(strict.lockout).toEqual(p.lockout);
  });
});

describe('console password rules (PCI DSS 8.3.6)', () => {
  it('needs twelve characters with letters and digits', () => {
    expect(consolePasswordViolation('Short-1', p)).toBe('password_too_short');
    expect(consolePasswordViolation('only-letters-here', p)).toBe('password_too_weak');
    expect(consolePasswordViolation('123456789012345', p)).toBe('password_too_weak');
    expect(consolePasswordViolation('Tea-Kettle-Orbit-42', p)).toBeNull();
  });

  it('accepts 64 characters and more, up to the limit', () => {
    expect(consolePasswordViolation(`${'a1'.repeat(32)}`, p)).toBeNull();
    expect(consolePasswordViolation(`${'a1'.repeat(65)}`, p)).toBe('password_too_long');
  });

  it('refuses common passwords, also when decorated with digits and symbols', () => {
    expect(consolePasswordViolation('password1234', p)).toBe('password_common');
    expect(consolePasswordViolation('Baseball2026!!', p)).toBe('password_common');
    expect(consolePasswordViolation('qwertyuiop123', p)).toBe('password_common');
  });

  it('refuses a password built on the user’s e-mail name', () => {
    expect(consolePasswordViolation('zhangwei-2026-x', p, { email: 'zhangwei@shop.cn' })).toBe(
      'password_personal_info',
    );
  });
});

describe('operator passwords', () => {
  it('are 4–12 digits and not trivial', () => {
    expect(operatorPasswordViolation('4826', p)).toBeNull();
    expect(operatorPasswordViolation('1111', p)).toBe('password_trivial');
    expect(operatorPasswordViolation('482', p)).toBe('password_too_short');
  });
});

describe('expiry', () => {
  it('counts whole days left and never expires with 0', () => {
    const changed = '2026-01-01T00:00:00.000Z';
    expect(daysUntilExpiry(changed, 90, new Date('2026-01-01T00:00:00.000Z'))).toBe(90);
    expect(daysUntilExpiry(changed, 90, new Date('2026-03-18T00:00:00.000Z'))).toBe(14);
    expect(daysUntilExpiry(changed, 90, new Date('2026-04-02T00:00:00.000Z'))).toBe(-1);
    expect(daysUntilExpiry(changed, 0, new Date('2030-01-01T00:00:00.000Z'))).toBeNull();
  });
});
