import { isPlanted } from '../db/failpoints.js';
import type { CardSummary } from './card.js';
import * as errors from './payment.errors.js';

export const paymentStatuses = ['approved', 'declined', 'failed', 'voided'] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export interface Payment {
  id: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  reference: string;
  card: CardSummary;
  terminalId: string;
  merchantId: string;
  batchId: string;
  operatorId: string | null;
  authCode: string | null;
  declineCode: string | null;
  failureReason: string | null;
  /** What the processor took: the amount for approved and failed-after-capture sales, else 0. */
  capturedAmount: number;
  voidedAmount: number;
  /** Refunds that have succeeded. */
  refundedAmount: number;
  /** Refunds reserved but not yet final (pending review or processing). */
  pendingRefundAmount: number;
  refundableAmount: number;
  voidedAt: string | null;
  /** Marked by risk checks: its refunds always go to the acquirer's manual review. */
  flagged: boolean;
  createdAt: string;
}

declare const paymentLock: unique symbol;
/**
 * A payment read under its lock (`lockPayment`), good for the transaction that took it: the only
 * kind a refund may be reserved against. The brand exists for the type checker alone.
 */
export type LockedPayment = Payment & { readonly [paymentLock]: true };

/** Invariant 1: captured − voided − every refund that is not rejected, canceled or finally failed. */
export function refundableAmount(
  p: Pick<Payment, 'capturedAmount' | 'voidedAmount' | 'refundedAmount' | 'pendingRefundAmount'>,
): number {
  return Math.max(0, p.capturedAmount - p.voidedAmount - p.refundedAmount - p.pendingRefundAmount);
}

/**
 * What may still be refunded from this payment: the one home of the "is it refundable" rule.
 * `takesRefunds` is false for a payment whose status took no money (declined, voided): only an
 * approved sale or one that failed after capture is refunded; `amount` is then what refunds do not
 * hold yet (0 otherwise). Pure; for callers that ask before any amount is named (disputes).
 */
export function refundableLeft(p: Payment): { takesRefunds: boolean; amount: number } {
  const takesRefunds = p.status === 'approved' || p.status === 'failed';
  return { takesRefunds, amount: takesRefunds ? p.refundableAmount : 0 };
}

/**
 * Whether `amount` of `currency` may still be refunded from this payment (`refundableLeft`):
 * refunds, disputes and rulings ask here. Pure; the caller holds the payment's lock when it goes
 * on to reserve. @throws payment_not_refundable, currency_mismatch, refund_exceeds_refundable
 */
export function assertRefundable(p: Payment, amount: number, currency: string = p.currency): void {
  const left = refundableLeft(p);
  if (!left.takesRefunds) throw errors.paymentNotRefundable(p.status);
  if (currency !== p.currency) throw errors.currencyMismatch(p.currency);
  if (amount > left.amount && !isPlanted('skip_refundable_check')) {
    throw errors.refundExceedsRefundable(left.amount, p.currency);
  }
}
