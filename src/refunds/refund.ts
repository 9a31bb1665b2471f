/** Refund states, reasons and the transition table (DESIGN.md, "Refund states"). Pure: no I/O. */
import type { RefundTable } from '../refunds/refund.tables.js';

export const refundStatuses = [
  'pending_merchant',
  'pending_acquirer',
  'processing',
  'succeeded',
  'failed',
  'rejected_by_merchant',
  'rejected_by_acquirer',
  'canceled',
] as const;
export type RefundStatus = (typeof refundStatuses)[number];

export const refundTransitions = {
  pending_merchant: ['pending_acquirer', 'rejected_by_merchant', 'canceled'],
  pending_acquirer: ['processing', 'rejected_by_acquirer', 'canceled'],
  processing: ['succeeded', 'failed'],
  failed: ['processing'],
  succeeded: [],
  rejected_by_merchant: [],
  rejected_by_acquirer: [],
  canceled: [],
} as const satisfies Record<RefundStatus, readonly RefundStatus[]>;

export function canTransition(from: RefundStatus, to: RefundStatus): boolean {
  return (refundTransitions[from] as readonly RefundStatus[]).includes(to);
}

/**
 * States whose amount no longer counts against the payment (the reservation is released), and
 * `failed` once the failure is final: a failure that may still be retried keeps the amount, so that
 * no other refund can take it before the retry.
 */
export const releasedStatuses = ['rejected_by_merchant', 'rejected_by_acquirer', 'canceled'] as const;
export type ReleasedStatus = (typeof releasedStatuses)[number];

export function holdsReservation(s: RefundStatus, failureFinal = false): boolean {
  if (s === 'failed') return !failureFinal;
  return !(releasedStatuses as readonly RefundStatus[]).includes(s);
}

/** Which of its payment's sums a refund in this state counts in. */
export function countsIn(s: RefundStatus, failureFinal: boolean): 'reserved' | 'refunded' | null {
  if (s === 'succeeded') return 'refunded';
  return holdsReservation(s, failureFinal) ? 'reserved' : null;
}

/** How a refund of `amount` moving from one state to another moves its payment's sums. */
export function amountsMoved(
  amount: number,
  from: { status: RefundStatus; failureFinal: boolean } | null,
  to: { status: RefundStatus; failureFinal: boolean },
): { reserved: number; refunded: number } {
  const delta = { reserved: 0, refunded: 0 };
  const before = from && countsIn(from.status, from.failureFinal);
  const after = countsIn(to.status, to.failureFinal);
  if (before) delta[before] -= amount;
  if (after) delta[after] += amount;
  return delta;
}

/** Processor failures no retry can mend: the refund fails for good at once. */
export const permanentFailures: readonly string[] = ['card_closed'];
/** Attempts at the processor before a failure is final whatever its reason. */
export const MAX_PROCESSING_ATTEMPTS = 3;

/** Whether the `attempt`-th failure with `reason` is final (no retry; reservation released). */
export function isFinalFailure(reason: string, attempt: number): boolean {
  return permanentFailures.includes(reason) || attempt >= MAX_PROCESSING_ATTEMPTS;
}

export const refundReasons = [
  'goods_returned',
  'wrong_amount',
  'service_complaint',
  'payment_failure',
  'duplicate',
  'other',
] as const;
export type RefundReason = (typeof refundReasons)[number];

export const refundChannels = ['counter', 'api', 'console', 'customer'] as const;
export type RefundChannel = (typeof refundChannels)[number];

export type EventActorKind = 'operator' | 'user' | 'api_key' | 'customer' | 'system';

export interface RefundEvent {
  from: RefundStatus | null;
  to: RefundStatus;
  actor: { kind: EventActorKind; id: string | null };
  note: string | null;
  at: string;
}

export interface Refund {
  id: string;
  status: RefundStatus;
  paymentId: string;
  merchantId: string;
  amount: number;
  currency: string;
  reason: RefundReason;
  channel: RefundChannel;
  note: string | null;
  failureReason: string | null;
  /** A failed refund that may not be retried (its amount is released). */
  failureFinal: boolean;
  processorReference: string | null;
  /** What the customer wrote (customer requests only). */
  description: string | null;
  /** Where the customer is told of each step; visible to the merchant, never on the public page. */
  customer: { email: string | null; phone: string | null } | null;
  /** When an unanswered customer request goes to the acquirer. */
  merchantDeadlineAt: string | null;
  /** `manual` while it waits in the acquirer's review queue. */
  acquirerReview: 'manual' | 'auto' | null;
  /** The last reviewer's reason (a rejection's reason is what the customer reads). */
  decisionReason: string | null;
  disputeId: string | null;
  timeline: RefundEvent[];
  createdAt: string;
  updatedAt: string;
}

declare const refundLock: unique symbol;
/**
 * A refund row read after its payment's lock was taken (`lockRefund`, or made by `reserveRefund`
 * under it): the only kind a transition accepts, so no state change can skip the lock. The brand
 * exists for the type checker alone.
 */
export type LockedRefundRow = RefundTable & { readonly [refundLock]: true };

/** Background jobs of the refund journey (names are stored in the jobs table: never rename). */
/**
 * When a succeeded card refund reaches the cardholder: within 3–5 business days of the processor's
 * answer; we quote the later one (a date, UTC).
 */
export function expectedArrival(succeededAt: Date): string {
  const d = new Date(succeededAt);
  let added = 0;
  while (added < 5) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) added++;
  }
  return d.toISOString().slice(0, 10);
}

/** A timeline event that is not a change of state: the acquirer's rules sent the refund to a person. */
export function isReviewerEvent(e: Pick<RefundEvent, 'from' | 'to'>): boolean {
  return e.from === 'pending_acquirer' && e.to === 'pending_acquirer';
}

export const JOB_ACQUIRER_REVIEW = 'refund.acquirer_review';
export const JOB_PROCESS = 'refund.process';
export const JOB_MERCHANT_DEADLINE = 'refund.merchant_deadline';
