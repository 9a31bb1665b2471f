import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armFailpoint } from '../../src/db/failpoints.js';
import { failedCustomerRefund } from '../support/customer-refunds.js';
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
  const nextIp = () => `198.51.100.${++ip}`;

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  /** Runs `meanwhile` (which must succeed with `status`) once the next opening passed its first checks. */
  function whenChecked(meanwhile: () => Promise<LightMyRequestResponse>, status: number) {
    let ran = false;
    const disarm = armFailpoint('dispute-open:checked', async () => {
      disarm();
      const r = await meanwhile();
      expect(r.statusCode, r.body).toBe(status);
      ran = true;
    });
    return { ran: () => ran };
  }

  /** Opens a dispute, expecting the refusal `detail`, and checks that none was opened on the payment. */
  async function refusedOpening(paymentId: string, payload: Record<string, unknown>, detail: string) {
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/disputes', remoteAddress: nextIp(), payload });
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json()).toMatchObject({ code: 'dispute_not_allowed', detail });
    const opened = await h.db.kysely.selectFrom('disputes').select('id').where('payment_id', '=', paymentId).execute();
    expect(opened).toEqual([]);
  }

  it('refuses a payment dispute when the sale was voided meanwhile, and opens nothing', async () => {
    const sale = await h.sale(2_000);
    const headers = await h.operator('supervisor');
    const race = whenChecked(
      () =>
        h.app.inject({
          method: 'POST',
          url: `/api/v1/payments/${sale.id}/void`,
          headers,
          payload: { refundPassword: REFUND_PASSWORD },
        }),
      200,
    );
    const dispute = {
      paymentReference: sale.reference,
      cardLast4: '1111',
      description: 'charged but no goods',
      contact: { email: 'race@customer.test' },
    };
    await refusedOpening(sale.id, dispute, 'a voided payment took no money to dispute');
    expect(race.ran()).toBe(true);
  });

  it('refuses a refund dispute when the failed refund was retried meanwhile, and opens nothing', async () => {
    const { sale, id, trackingSecret } = await failedCustomerRefund(h, 1_000, nextIp());
    const owner = await h.login('owner');
    const race = whenChecked(
      () => h.app.inject({ method: 'POST', url: `/api/v1/refunds/${id}/retry`, headers: owner }),
      200,
    );
    const dispute = { refundId: id, trackingSecret, description: 'the refund failed', language: 'en' };
    await refusedOpening(sale.id, dispute, 'a processing refund cannot be disputed');
    expect(race.ran()).toBe(true);
  });
});
