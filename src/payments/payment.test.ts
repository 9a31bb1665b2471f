import { describe, expect, it } from 'vitest';
import { assertRefundable, type Payment, type PaymentStatus, refundableLeft } from './payment.js';

const payment = (status: PaymentStatus, refundableAmount: number): Payment =>
  ({ status, currency: 'CNY', refundableAmount }) as Payment;

describe('what is left to refund of a payment', () => {
  it.each([
    ['approved', 500, { takesRefunds: true, amount: 500 }],
    ['approved', 0, { takesRefunds: true, amount: 0 }],
    ['failed', 300, { takesRefunds: true, amount: 300 }],
    ['declined', 0, { takesRefunds: false, amount: 0 }],
    ['voided', 0, { takesRefunds: false, amount: 0 }],
  ] as const)('a %s payment with %i refundable leaves %o', (status, refundable, left) => {
    expect(refundableLeft(payment(status, refundable))).toEqual(left);
  });

  it('refuses through assertRefundable what refundableLeft says is not there, each with its code', () => {
    expect(() => assertRefundable(payment('voided', 0), 1)).toThrow(
      expect.objectContaining({ code: 'payment_not_refundable' }),
    );
    expect(() => assertRefundable(payment('approved', 500), 501)).toThrow(
      expect.objectContaining({ code: 'refund_exceeds_refundable' }),
    );
    expect(() => assertRefundable(payment('approved', 500), 100, 'USD')).toThrow(
      expect.objectContaining({ code: 'currency_mismatch' }),
    );
    expect(() => assertRefundable(payment('failed', 500), 500)).not.toThrow();
  });
});
