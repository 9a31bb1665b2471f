import type { CardSummary } from './card.js';

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

export interface RefundTotals {
  succeeded: number;
  pending: number;
}

/** Invariant 1: captured − voided − every refund that is not rejected, canceled or failed. */
export function refundableAmount(p: { capturedAmount: number; voidedAmount: number }, totals: RefundTotals): number {
  return Math.max(0, p.capturedAmount - p.voidedAmount - totals.succeeded - totals.pending);
}
