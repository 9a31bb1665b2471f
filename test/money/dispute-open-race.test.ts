import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armFailpoint } from '../../src/db/failpoints.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';

/**
 * Opening a dispute checks the refund (or the payment) as the customer proved it, then opens it in
 * a transaction. Whatever moved in between — a void, a retried refund — is seen there: the checks
 * run again on the row read under the payment's lock. Made certain with the failpoint
 * `dispute-open:checked`, between the two.
 */
describe.each(engines())('a dispute opened while its payment or refund moves (%s)', (engine) => {
  let h: Harness;
  let ip = 0;

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  /** Runs `meanwhile` once, when the next opening has passed its first checks. */
  function whenChecked(meanwhile: () => Promise<void>): { ran: () => boolean } {
    let ran = false;
    const disarm = armFailpoint('dispute-open:checked', async () => {
      disarm();
      await meanwhile();
      ran = true;
    });
    return { ran: () => ran };
  }

  const disputesOf = (paymentId: string) =>
    h.db.kysely.selectFrom('disputes').select('id').where('payment_id', '=', paymentId).execute();

  it('refuses a payment dispute when the sale was voided meanwhile, and opens nothing', async () => {
    const sale = await h.sale(2_000);
    const race = whenChecked(async () => {
      const voided = await h.app.inject({
        method: 'POST',
        url: `/api/v1/payments/${sale.id}/void`,
        headers: await h.operator('supervisor'),
        payload: { refundPassword: REFUND_PASSWORD },
      });
      expect(voided.statusCode, voided.body).toBe(200);
    });
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/disputes',
      remoteAddress: `198.51.100.${++ip}`,
      payload: {
        paymentReference: sale.reference,
        cardLast4: '1111',
        description: 'charged but no goods',
        contact: { email: 'race@customer.test' },
      },
    });
    expect(race.ran()).toBe(true);
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json()).toMatchObject({
      code: 'dispute_not_allowed',
      detail: 'a voided payment took no money to dispute',
    });
    expect(await disputesOf(sale.id)).toEqual([]);
  });

  it('refuses a refund dispute when the failed refund was retried meanwhile, and opens nothing', async () => {
    const owner = await h.login('owner');
    const sale = await h.sale(1_000, { card: '4000000000000119', settled: true });
    const asked = await h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      remoteAddress: `198.51.100.${++ip}`,
      payload: {
        paymentReference: sale.reference,
        cardLast4: '0119',
        amount: 1_000,
        reason: 'goods_returned',
        description: 'returned the goods',
        contact: { email: 'race@customer.test' },
        language: 'en',
      },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const { id: refundId, trackingSecret } = asked.json();
    const approved = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${refundId}/merchant-decision`,
      headers: owner,
      payload: { decision: 'approve', refundPassword: REFUND_PASSWORD },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    await h.drain();
    const failed = await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${refundId}`, headers: owner });
    expect(failed.json()).toMatchObject({ status: 'failed', failureFinal: false });

    const race = whenChecked(async () => {
      const retried = await h.app.inject({
        method: 'POST',
        url: `/api/v1/refunds/${refundId}/retry`,
        headers: owner,
      });
      expect(retried.statusCode, retried.body).toBe(200);
    });
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/disputes',
      remoteAddress: `198.51.100.${++ip}`,
      payload: { refundId, trackingSecret, description: 'the refund failed', language: 'en' },
    });
    expect(race.ran()).toBe(true);
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json()).toMatchObject({ code: 'dispute_not_allowed', detail: 'a processing refund cannot be disputed' });
    expect(await disputesOf(sale.id)).toEqual([]);
  });
});
