import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/clock.js';
import { armFailpoint } from '../../src/db/failpoints.js';
import { failedCustomerRefund } from '../support/customer-refunds.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';
import { someoneWaitsOnALock as waitsOnALock } from '../support/pg-locks.js';
import { checkInvariants } from './invariants.js';

/**
 * The race the outside review reported (issue: money safety), made certain. A refund to card
 * …0119 fails once (retryable) and keeps its 10.00 reserved; the customer disputes, escalates, and
 * the reviewer rules for the customer. The ruling's transaction releases the failed refund and is
 * paused (a failpoint) before it reserves the new one; a retry of the old refund is sent and, on
 * PostgreSQL, seen waiting on a lock; then the ruling commits. The old code let the retry through
 * after the commit (its update checked only `status = 'failed'`): 20.00 refunded or reserved
 * against 10.00 captured, the old refund `processing` with `failureFinal`. Now the retry takes the
 * payment's lock first, reads the released refund, and is refused.
 */
describe.each(engines())('a retry racing a ruling for the customer (%s)', (engine) => {
  let h: Harness;

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  const someoneWaitsOnALock = () => waitsOnALock(h.ctx.config.databaseUrl, 'the retry never');

  it('refuses the retry of a refund the ruling released, and never refunds twice', async () => {
    let owner = await h.login('owner');
    const { sale, id: refundId, trackingSecret } = await failedCustomerRefund(h, 1_000);

    const opened = await h.app.inject({
      method: 'POST',
      url: '/api/v1/disputes',
      payload: { refundId, trackingSecret, description: 'the refund failed', language: 'en' },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const disputeId = opened.json().id as string;
    h.clock.advance(8 * DAY);
    const escalated = await h.app.inject({
      method: 'POST',
      url: `/api/v1/disputes/${disputeId}/escalate`,
      payload: { secret: trackingSecret, reason: 'no refund yet' },
    });
    expect(escalated.statusCode, escalated.body).toBe(200);
    h.forgetTokens(); // the sessions went idle over those days
    owner = await h.login('owner');
    const reviewer = await h.login('reviewer');

    let reached!: () => void;
    const atFailpoint = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const disarm = armFailpoint('dispute-ruling:released', async () => {
      reached();
      await gate;
    });
    try {
      const ruling = h.app.inject({
        method: 'POST',
        url: `/api/v1/disputes/${disputeId}/decision`,
        headers: reviewer,
        payload: { outcome: 'resolved_for_customer', ruling: 'refund the customer' },
      });
      await Promise.race([
        atFailpoint,
        ruling.then((r) => {
          throw new Error(`the ruling ended before its failpoint: ${r.statusCode} ${r.body}`);
        }),
      ]);
      const retry = h.app.inject({ method: 'POST', url: `/api/v1/refunds/${refundId}/retry`, headers: owner });
      // PostgreSQL: the retry is inside its transaction, waiting on a lock the ruling holds. SQLite
      // serialises whole transactions, so the retry simply queues behind the ruling.
      if (engine === 'postgres') await someoneWaitsOnALock();
      open();
      const [ruled, retried] = await Promise.all([ruling, retry]);
      expect(ruled.statusCode, ruled.body).toBe(200);
      expect(retried.statusCode, retried.body).toBe(409);
      expect(retried.json().code).toBe('refund_failure_final');
    } finally {
      disarm();
      open();
    }

    await h.drain();
    const old = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${refundId}`, headers: owner })).json();
    expect(old).toMatchObject({ status: 'failed', failureFinal: true });
    const payment = (await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sale.id}`, headers: owner })).json();
    expect(payment.refundedAmount + payment.pendingRefundAmount).toBeLessThanOrEqual(1_000);
    expect(await checkInvariants(h.db)).toEqual([]);
  });

  it('is refused by the database: a refund processing with a final failure, refunds beyond the sale', async () => {
    const sale = await h.sale(500, { settled: true });
    const key = await h.apiKey(['refunds:write', 'read']);
    const made = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: key,
      payload: { paymentId: sale.id, amount: 100, reason: 'other' },
    });
    expect(made.statusCode, made.body).toBe(201);
    const db = h.db.kysely;
    const id = made.json().id as string;
    await expect(
      db.updateTable('refunds').set({ status: 'processing', failure_final: 1 }).where('id', '=', id).execute(),
    ).rejects.toThrow(/refunds_failure_final_only_when_failed/);
    await expect(
      db.updateTable('refunds').set({ status: 'failed', failure_reason: null }).where('id', '=', id).execute(),
    ).rejects.toThrow(/refunds_failed_has_reason/);
    await expect(
      db.updateTable('payments').set({ reserved_amount: 501 }).where('id', '=', sale.id).execute(),
    ).rejects.toThrow(/payments_refund_sums_within_captured/);
    await expect(
      db
        .updateTable('payments')
        .set({ status: 'voided', voided_at: '2026-03-02T08:00:00.000Z' })
        .where('id', '=', sale.id)
        .execute(),
    ).rejects.toThrow(/payments_refund_sums_within_captured/);
    const unrefunded = await h.sale(300);
    await expect(
      db.updateTable('payments').set({ status: 'voided', voided_at: null }).where('id', '=', unrefunded.id).execute(),
    ).rejects.toThrow(/payments_voided_has_time/);
    await expect(
      db.updateTable('payments').set({ captured_amount: 501 }).where('id', '=', sale.id).execute(),
    ).rejects.toThrow(/payments_captured_within_amount/);
    expect((await db.selectFrom('refunds').select('status').where('id', '=', id).executeTakeFirst())?.status).toBe(
      'pending_acquirer',
    );
  });
});
