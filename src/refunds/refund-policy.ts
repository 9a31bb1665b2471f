import { type RefundReason, refundReasons } from './refund.js';

/** A merchant's refund policy (article: "严格按照商家的退款政策"), with the platform defaults. */
export interface RefundPolicy {
  merchantId: string;
  /** Days after the sale within which a customer may ask. */
  windowDays: number;
  partialAllowed: boolean;
  reasons: RefundReason[];
  /** Requests up to this amount (minor units) are approved at the merchant automatically; 0 = always review. */
  merchantAutoApproveUpTo: number;
  /** Above this amount the acquirer reviews by hand. */
  acquirerManualReviewAbove: number;
  /** Unanswered requests go to the acquirer after this many hours. */
  merchantReviewHours: number;
  updatedAt: string | null;
}

export const defaultRefundPolicy = (merchantId: string): RefundPolicy => ({
  merchantId,
  windowDays: 180,
  partialAllowed: true,
  reasons: [...refundReasons],
  merchantAutoApproveUpTo: 0,
  acquirerManualReviewAbove: 500_000,
  merchantReviewHours: 48,
  updatedAt: null,
});

export type PolicyRuleBroken = 'refund_window_expired' | 'partial_refund_not_allowed' | 'refund_reason_not_accepted';

/** Which rule of the policy a customer request breaks, if any. Pure. */
export function policyViolation(
  policy: RefundPolicy,
  request: { amount: number; reason: RefundReason },
  payment: { createdAt: string; refundableAmount: number; capturedAmount: number },
  now: Date,
): PolicyRuleBroken | null {
  const deadline = new Date(payment.createdAt).getTime() + policy.windowDays * 86_400_000;
  if (now.getTime() > deadline) return 'refund_window_expired';
  if (!policy.reasons.includes(request.reason)) return 'refund_reason_not_accepted';
  if (!policy.partialAllowed && request.amount !== payment.capturedAmount) return 'partial_refund_not_allowed';
  return null;
}
