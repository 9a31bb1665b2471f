import { defaultRefundPolicy } from '../../src/refunds/refund-policy.js';

/** A body for `PUT /merchants/{id}/refund-policy`: the platform defaults, with `over` on top. */
export function refundPolicyBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  const { merchantId: _m, updatedAt: _u, ...defaults } = defaultRefundPolicy('');
  return { ...defaults, ...over };
}
