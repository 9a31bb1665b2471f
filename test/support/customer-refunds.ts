import { expect } from 'vitest';
import { TEST_CARDS } from '../../src/payments/processor.js';
import { type Harness, REFUND_PASSWORD } from './harness.js';

type Sale = Record<string, unknown> & { id: string };

/**
 * A customer's refund request for `sale` (the whole sale unless `amount` says otherwise), proven by
 * the receipt's reference and the card's last 4. Returns the refund's id and tracking secret.
 */
export async function customerRequest(
  h: Harness,
  sale: Sale,
  opts: { amount?: number; ip?: string } = {},
): Promise<{ id: string; trackingSecret: string }> {
  const r = await h.app.inject({
    method: 'POST',
    url: '/api/v1/public/refund-requests',
    remoteAddress: opts.ip,
    payload: {
      paymentReference: sale.reference,
      cardLast4: (sale.card as { last4: string }).last4,
      amount: opts.amount ?? sale.amount,
      reason: 'goods_returned',
      description: 'returned the goods',
      contact: { email: 'customer@example.test' },
      language: 'en',
    },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

/**
 * A customer's refund of a settled sale to card …0119, whose first refund the processor fails
 * (retryable): requested, approved by the owner, processed. It is `failed`, still holding its amount.
 */
export async function failedCustomerRefund(
  h: Harness,
  amount: number,
  ip?: string,
): Promise<{ sale: Sale; id: string; trackingSecret: string }> {
  const owner = await h.login('owner');
  const sale = await h.sale(amount, { card: TEST_CARDS.refundFailsOnceProcessorError, settled: true });
  const { id, trackingSecret } = await customerRequest(h, sale, { ip });
  const approved = await h.app.inject({
    method: 'POST',
    url: `/api/v1/refunds/${id}/merchant-decision`,
    headers: owner,
    payload: { decision: 'approve', refundPassword: REFUND_PASSWORD },
  });
  expect(approved.statusCode, approved.body).toBe(200);
  await h.drain();
  const failed = await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${id}`, headers: owner });
  expect(failed.json()).toMatchObject({ status: 'failed', failureFinal: false });
  return { sale, id, trackingSecret };
}

/**
 * The merchant's refund passwords in the order a test changes them: each one accepted by the
 * policy and the history. `change()` moves to the next (the supervisor changes it; every session of
 * the merchant's people ends, so the harness forgets its tokens).
 */
export function refundPasswordChain(h: Harness) {
  const chain = [REFUND_PASSWORD, '480263', '592714', '307158', '815062', '246917', '639184', '702548'];
  let at = 0;
  return {
    current: () => chain[at],
    async change() {
      const next = chain[at + 1];
      const r = await h.app.inject({
        method: 'PUT',
        url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
        headers: await h.operator('supervisor'),
        payload: { currentPassword: chain[at], newPassword: next, confirmPassword: next },
      });
      expect(r.statusCode, r.body).toBe(204);
      at += 1;
      h.forgetTokens();
    },
  };
}

/** What the owner sees of a payment or a refund now. */
export async function ownerView(h: Harness, path: `/api/v1/${'payments' | 'refunds'}/${string}`) {
  const r = await h.app.inject({ method: 'GET', url: path, headers: await h.login('owner') });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}
