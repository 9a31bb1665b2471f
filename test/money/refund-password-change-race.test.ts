import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armFailpoint } from '../../src/db/failpoints.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';
import { checkInvariants } from './invariants.js';

/**
 * The refund password is checked (argon2) before the transaction that moves the money; inside it a
 * cheap re-check refuses when the password changed in between. Made certain with a failpoint: the
 * check passes, the supervisor changes the password while the request waits at
 * `refund-password:verified`, then the request goes on into its transaction and is refused with
 * `409 refund_password_changed`, having done nothing.
 */
describe.each(engines())('a refund password changed between its check and the money moving (%s)', (engine) => {
  let h: Harness;
  // Each test changes the password once more: a chain of passwords the policy and history accept.
  const chain = [REFUND_PASSWORD, '480263', '592714', '307158'];
  let current = 0;

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  /** Arms the failpoint once: the first request to pass the check waits there while the password changes. */
  function changeAfterTheCheck(): { changed: () => boolean } {
    let changed = false;
    const disarm = armFailpoint('refund-password:verified', async () => {
      disarm();
      const next = chain[current + 1];
      const r = await h.app.inject({
        method: 'PUT',
        url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
        headers: await h.operator('supervisor'),
        payload: { currentPassword: chain[current], newPassword: next, confirmPassword: next },
      });
      expect(r.statusCode, r.body).toBe(204);
      current += 1;
      changed = true;
    });
    return { changed: () => changed };
  }

  const refundsOf = (paymentId: string) =>
    h.db.kysely.selectFrom('refunds').select('id').where('payment_id', '=', paymentId).execute();

  it('refuses a counter refund with 409 refund_password_changed and reserves nothing', async () => {
    const sale = await h.sale(2_000, { settled: true });
    const race = changeAfterTheCheck();
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: { ...(await h.operator('cashier')), 'idempotency-key': 'counter-race-1' },
      payload: { paymentId: sale.id, amount: 500, reason: 'goods_returned', refundPassword: chain[current] },
    });
    expect(race.changed()).toBe(true);
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json().code).toBe('refund_password_changed');
    expect(await refundsOf(sale.id)).toEqual([]);
    h.forgetTokens();
    const payment = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${sale.id}`,
      headers: await h.login('owner'),
    });
    expect(payment.json()).toMatchObject({ pendingRefundAmount: 0, refundedAmount: 0, refundableAmount: 2_000 });
    // The same key with the new password is a new attempt: nothing was stored under it.
    const again = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: { ...(await h.operator('cashier')), 'idempotency-key': 'counter-race-1' },
      payload: { paymentId: sale.id, amount: 500, reason: 'goods_returned', refundPassword: chain[current] },
    });
    expect(again.statusCode, again.body).toBe(201);
    expect(await checkInvariants(h.db)).toEqual([]);
  });

  it('refuses a void with 409 refund_password_changed and leaves the sale approved', async () => {
    h.forgetTokens();
    const sale = await h.sale(3_000);
    const race = changeAfterTheCheck();
    const r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${sale.id}/void`,
      headers: await h.operator('supervisor'),
      payload: { refundPassword: chain[current] },
    });
    expect(race.changed()).toBe(true);
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json().code).toBe('refund_password_changed');
    h.forgetTokens();
    const payment = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${sale.id}`,
      headers: await h.login('owner'),
    });
    expect(payment.json()).toMatchObject({ status: 'approved', voidedAmount: 0, voidedAt: null });
    expect(await checkInvariants(h.db)).toEqual([]);
  });

  it('refuses a merchant approval with 409 refund_password_changed and leaves the request pending', async () => {
    h.forgetTokens();
    const sale = await h.sale(4_000, { settled: true });
    const asked = await h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      payload: {
        paymentReference: sale.reference,
        cardLast4: '1111',
        amount: 4_000,
        reason: 'goods_returned',
        description: 'returned the goods',
        contact: { email: 'race@customer.test' },
        language: 'en',
      },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const refundId = asked.json().id as string;
    const race = changeAfterTheCheck();
    const r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${refundId}/merchant-decision`,
      headers: await h.login('owner'),
      payload: { decision: 'approve', refundPassword: chain[current] },
    });
    expect(race.changed()).toBe(true);
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json().code).toBe('refund_password_changed');
    h.forgetTokens();
    const refund = await h.app.inject({
      method: 'GET',
      url: `/api/v1/refunds/${refundId}`,
      headers: await h.login('owner'),
    });
    expect(refund.json()).toMatchObject({ status: 'pending_merchant' });
    expect(refund.json().timeline).toHaveLength(1);
    expect(await checkInvariants(h.db)).toEqual([]);
  });
});
