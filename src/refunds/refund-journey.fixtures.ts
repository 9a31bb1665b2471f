import { expect } from 'vitest';
import type { Harness } from '../../test/support/harness.js';
import { refundPolicyBody } from '../../test/support/refund-policy.js';
import type { Payment } from '../payments/payment.js';
import { customerInput } from './refund.fixtures.js';

type Body = Record<string, unknown>;
type Headers = Record<string, string>;

/**
 * The requests of the refund journey's route tests, against the harness `harness()` returns: the
 * customer's request and tracking page, both reviews, the merchant's policy, what is refundable.
 */
export function journeyRequests(harness: () => Harness) {
  /** A customer's request on `sale` (an HTTP sale's JSON): 20.00 CNY, tracked by e-mail, in English. */
  const ask = (sale: Body, over: Body = {}) =>
    harness().app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      payload: customerInput(sale as Pick<Payment, 'reference' | 'card'>, over),
    });
  const track = (id: string, query: string) =>
    harness().app.inject({ method: 'GET', url: `/api/v1/public/refunds/${id}?${query}` });
  const merchantDecision = async (id: string, body: Body, headers?: Headers) =>
    harness().app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${id}/merchant-decision`,
      headers: headers ?? (await harness().login('owner')),
      payload: body,
    });
  const acquirerDecision = async (id: string, body: Body, headers?: Headers) =>
    harness().app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${id}/acquirer-decision`,
      headers: headers ?? (await harness().login('reviewer')),
      payload: body,
    });
  const setPolicy = async (over: Body) => {
    const h = harness();
    const r = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-policy`,
      headers: await h.login('owner'),
      payload: refundPolicyBody(over),
    });
    expect(r.statusCode, r.body).toBe(200);
  };
  const refundableOf = async (paymentId: string) => {
    const h = harness();
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${paymentId}`,
      headers: await h.login('owner'),
    });
    return r.json().refundableAmount as number;
  };
  return { ask, track, merchantDecision, acquirerDecision, setPolicy, refundableOf };
}
