import { AppError } from '../errors.js';

export const invalidCardNumber = () => new AppError('invalid_card_number', 'the card number fails the Luhn check');
export const paymentNotVoidable = (why: string) => new AppError('payment_not_voidable', why);
export const terminalRequired = () =>
  new AppError('terminal_required', 'an API key must name the terminal (terminalId) the sale is for');
export const batchEmpty = () => new AppError('batch_empty');
