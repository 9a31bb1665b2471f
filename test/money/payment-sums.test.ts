import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRefundSums } from '../../src/db/migrations/013_payment_refund_sums.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';
import { checkInvariants } from './invariants.js';

/**
 * A payment's `refunded_amount` and `reserved_amount` equal the sums over its refund rows through
 * every kind of step (reserved, succeeded, canceled, retryable and final failure, rejected), and
 * migration 013 back-fills them from the rows alone.
 */
describe.each(engines())('the refund sums kept on the payment (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('follow every step of the refunds, and the migration back-fills them from the rows', async () => {
    const key = await h.apiKey(['refunds:write', 'read']);
    const owner = await h.login('owner');
    const refund = async (paymentId: string, amount: number) => {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: key,
        payload: { paymentId, amount, reason: 'goods_returned' },
      });
      expect(r.statusCode, r.body).toBe(201);
      return r.json().id as string;
    };
    const ok = await h.sale(10_000, { settled: true });
    const retryable = await h.sale(5_000, { card: '4000000000000127', settled: true });
    const closed = await h.sale(3_000, { card: '4000000000005126', settled: true });
    await refund(ok.id, 1_000);
    const canceled = await refund(ok.id, 2_000);
    await refund(retryable.id, 1_500);
    await refund(closed.id, 3_000);
    const cancel = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${canceled}/cancel`,
      headers: owner,
      payload: { reason: 'changed my mind' },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    await h.drain();
    await refund(ok.id, 500); // still pending_acquirer: reserved
    const view = async (id: string) =>
      (await h.app.inject({ method: 'GET', url: `/api/v1/payments/${id}`, headers: owner })).json();
    expect(await view(ok.id)).toMatchObject({
      refundedAmount: 1_000,
      pendingRefundAmount: 500,
      refundableAmount: 8_500,
    });
    expect(await view(retryable.id)).toMatchObject({ refundedAmount: 0, pendingRefundAmount: 1_500 });
    expect(await view(closed.id)).toMatchObject({ refundedAmount: 0, pendingRefundAmount: 0, refundableAmount: 3_000 });
    expect(await checkInvariants(h.db)).toEqual([]);

    const db = h.db.kysely;
    const before = await db
      .selectFrom('payments')
      .select(['id', 'refunded_amount', 'reserved_amount'])
      .orderBy('id')
      .execute();
    await db.updateTable('payments').set({ refunded_amount: 0, reserved_amount: 0 }).execute();
    await backfillRefundSums(db as never);
    const after = await db
      .selectFrom('payments')
      .select(['id', 'refunded_amount', 'reserved_amount'])
      .orderBy('id')
      .execute();
    expect(after).toEqual(before);
    expect(before.some((p) => Number(p.refunded_amount) > 0 && Number(p.reserved_amount) > 0)).toBe(true);
  });
});
