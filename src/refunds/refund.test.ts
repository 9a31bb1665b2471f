import { describe, expect, it } from 'vitest';
import {
  canTransition,
  holdsReservation,
  isFinalFailure,
  MAX_PROCESSING_ATTEMPTS,
  type RefundStatus,
  refundStatuses,
  refundTransitions,
} from './refund.js';

const entries: RefundStatus[] = ['pending_merchant', 'pending_acquirer'];
const finals: RefundStatus[] = ['succeeded', 'rejected_by_merchant', 'rejected_by_acquirer', 'canceled'];

describe('the refund state machine', () => {
  it('reaches every state from the two ways in (customer request, terminal refund)', () => {
    const seen = new Set<RefundStatus>(entries);
    const queue = [...entries];
    while (queue.length > 0) {
      const s = queue.shift() as RefundStatus;
      for (const next of refundTransitions[s]) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    expect([...seen].sort()).toEqual([...refundStatuses].sort());
  });

  it('has no way out of a final state, and a failed refund can only be retried', () => {
    for (const s of finals) expect(refundTransitions[s]).toEqual([]);
    expect(refundTransitions.failed).toEqual(['processing']);
  });

  it('lets nothing skip a review: no path to succeeded avoids processing', () => {
    for (const s of refundStatuses) {
      if (s !== 'processing') expect(canTransition(s, 'succeeded')).toBe(false);
    }
    expect(canTransition('pending_merchant', 'processing')).toBe(false);
  });

  it('releases the reserved amount exactly in the rejected, canceled and finally failed states', () => {
    const released = refundStatuses.filter((s) => !holdsReservation(s)).sort();
    expect(released).toEqual(['canceled', 'rejected_by_acquirer', 'rejected_by_merchant']);
    const releasedWhenFinal = refundStatuses.filter((s) => !holdsReservation(s, true)).sort();
    expect(releasedWhenFinal).toEqual(['canceled', 'failed', 'rejected_by_acquirer', 'rejected_by_merchant']);
  });

  it('makes a failure final when no retry can mend it, or on the last allowed attempt', () => {
    expect(isFinalFailure('card_closed', 1)).toBe(true);
    expect(isFinalFailure('processor_error', 1)).toBe(false);
    expect(isFinalFailure('insufficient_merchant_balance', MAX_PROCESSING_ATTEMPTS - 1)).toBe(false);
    expect(isFinalFailure('insufficient_merchant_balance', MAX_PROCESSING_ATTEMPTS)).toBe(true);
  });
});
