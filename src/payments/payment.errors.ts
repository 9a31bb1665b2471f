import { AppError } from '../errors.js';

export const invalidCardNumber = () => new AppError('invalid_card_number', 'the card number fails the Luhn check');
export const paymentNotVoidable = (why: string) => new AppError('payment_not_voidable', why);
export const terminalRequired = () =>
  new AppError('terminal_required', 'an API key must name the terminal (terminalId) the sale is for');
export const batchEmpty = () => new AppError('batch_empty');

export const refundExceedsRefundable = (refundable: number, currency: string) =>
  new AppError('refund_exceeds_refundable', `at most ${refundable} (minor units of ${currency}) can be refunded`, {
    refundableAmount: refundable,
    currency,
  });

export const paymentNotRefundable = (status: string) =>
  new AppError('payment_not_refundable', `a ${status} payment cannot be refunded`);

export const currencyMismatch = (currency: string) =>
  new AppError('currency_mismatch', `the payment is in ${currency}`);

/** The receipt's reference and the card's last 4 prove no payment (the customer's pages: refunds, disputes). */
export const paymentNotMatched = () =>
  new AppError('payment_not_matched', 'no payment matches that receipt reference and card: check both on the receipt');

/** A sale in another currency than the merchant takes. */
export const saleCurrencyMismatch = (merchantCurrency: string) =>
  new AppError('currency_mismatch', `this merchant takes ${merchantCurrency}`);
