import { randomInt } from 'node:crypto';

/**
 * The simulated acquirer processor. It answers like a real one, from the card number, so every
 * outcome can be reached on purpose. Documented in the README ("Test cards").
 */
export type SaleOutcome =
  | { kind: 'approved'; authCode: string }
  | { kind: 'declined'; declineCode: 'card_declined' | 'insufficient_funds' | 'expired_card' }
  | { kind: 'failed_after_capture'; failureReason: 'processor_timeout' };

export const TEST_CARDS = {
  approved: '4111111111111111',
  approvedUnionPay: '6212345678901232',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  expired: '4000000000000069',
  /** Money is taken, then the processor reports failure: the `payment_failure` refund reason. */
  chargedButFailed: '4000000000000259',
  /** Sales approve; refunds to this card fail with `card_closed`. */
  refundFailsCardClosed: '4000000000005126',
  /** Sales approve; refunds fail with `insufficient_merchant_balance`. */
  refundFailsMerchantBalance: '4000000000000127',
  /** Sales approve; a refund's first attempt fails with `processor_error`, a retry succeeds. */
  refundFailsOnceProcessorError: '4000000000000119',
} as const;

export function authorise(pan: string): SaleOutcome {
  switch (pan) {
    case TEST_CARDS.declined:
      return { kind: 'declined', declineCode: 'card_declined' };
    case TEST_CARDS.insufficientFunds:
      return { kind: 'declined', declineCode: 'insufficient_funds' };
    case TEST_CARDS.expired:
      return { kind: 'declined', declineCode: 'expired_card' };
    case TEST_CARDS.chargedButFailed:
      return { kind: 'failed_after_capture', failureReason: 'processor_timeout' };
    default:
      return { kind: 'approved', authCode: String(randomInt(0, 1_000_000)).padStart(6, '0') };
  }
}

export type RefundOutcome =
  | { kind: 'succeeded'; processorReference: string }
  | { kind: 'failed'; failureReason: 'card_closed' | 'insufficient_merchant_balance' | 'processor_error' };

/** Refund results keyed on what we kept of the card (BIN + last 4), and the attempt number. */
export function settleRefund(card: { bin: string; last4: string }, attempt = 1): RefundOutcome {
  const tail = `${card.bin}${card.last4}`;
  if (tail === '4000005126') return { kind: 'failed', failureReason: 'card_closed' };
  if (tail === '4000000127') return { kind: 'failed', failureReason: 'insufficient_merchant_balance' };
  if (tail === '4000000119' && attempt === 1) return { kind: 'failed', failureReason: 'processor_error' };
  // 23-digit acquirer reference number, like an ARN, for the customer to quote to the bank.
  let arn = '7';
  for (let i = 0; i < 22; i++) arn += String(randomInt(0, 10));
  return { kind: 'succeeded', processorReference: arn };
}
