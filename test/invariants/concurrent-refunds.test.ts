import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';

/**
 * Invariant 1 (DESIGN.md): the refunds of a payment that still hold a reservation never add up to
 * more than what was captured, however many requests race for the same payment. On PostgreSQL the
 * harness talks to a real connection pool, so the requests below really run in parallel and only
 * the payment row lock keeps them honest; on SQLite they queue on BEGIN IMMEDIATE.
 */
describe.each(engines())('refund reservations under concurrent requests (%s)', (engine) => {
  let h: Harness;
  let key: Record<string, string>;

  beforeAll(async () => {
    h = await openHarness(engine);
    key = await h.apiKey(['refunds:write', 'read']);
  });
  afterAll(() => h?.close());

  const refund = (paymentId: string, amount: number) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: key,
      payload: { paymentId, amount, reason: 'goods_returned' },
    });

  const getPayment = async (id: string) => {
    const r = await h.app.inject({ method: 'GET', url: `/api/v1/payments/${id}`, headers: key });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as {
      amount: number;
      refundableAmount: number;
      pendingRefundAmount: number;
      refundedAmount: number;
    };
  };

  /** Every refund row of the payment, straight from the table, whatever its status. */
  const refundRows = (paymentId: string) =>
    h.db.kysely.selectFrom('refunds').select(['id', 'amount', 'status']).where('payment_id', '=', paymentId).execute();

  it('accepts exactly 33 of 64 concurrent 3.00 refunds of a 100.00 sale and refuses the other 31', async () => {
    const sale = await h.sale(10_000, { settled: true });
    const replies = await Promise.all(Array.from({ length: 64 }, () => refund(sale.id, 300)));

    const accepted = replies.filter((r) => r.statusCode === 201);
    const refused = replies.filter((r) => r.statusCode !== 201);
    expect(accepted).toHaveLength(33);
    expect(refused).toHaveLength(31);
    for (const r of refused) {
      expect(r.statusCode, r.body).toBe(422);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json().code).toBe('refund_exceeds_refundable');
    }
    const ids = accepted.map((r) => r.json().id as string);
    expect(new Set(ids).size).toBe(33);

    const rows = await refundRows(sale.id);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(rows.reduce((s, r) => s + Number(r.amount), 0)).toBe(9_900);

    expect(await getPayment(sale.id)).toMatchObject({
      amount: 10_000,
      refundableAmount: 100,
      pendingRefundAmount: 9_900,
      refundedAmount: 0,
    });

    await h.drain();
    expect(await getPayment(sale.id)).toMatchObject({
      refundableAmount: 100,
      pendingRefundAmount: 0,
      refundedAmount: 9_900,
    });
  });

  it('never lets randomly sized, batched and interleaved refunds exceed the sale (property, 100 runs)', async () => {
    // A run: one settled sale, then rounds of up to 64 refunds; a round's are fired together (each after
    // a random number of event-loop turns), rounds one after another, and the worker may run
    // alongside a round so reservations also move from pending to succeeded under the requests.
    const round = fc.record({
      refunds: fc.array(fc.record({ amount: fc.integer({ min: 1, max: 3_000 }), delay: fc.nat(4) }), {
        minLength: 1,
        maxLength: 64,
      }),
      withWorker: fc.boolean(),
    });
    const scenario = fc.record({
      saleAmount: fc.integer({ min: 1, max: 8_000 }),
      rounds: fc.array(round, { minLength: 1, maxLength: 3 }),
    });
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    await fc.assert(
      fc.asyncProperty(scenario, async ({ saleAmount, rounds }) => {
        const sale = await h.sale(saleAmount, { settled: true });
        const outcomes: Array<{ amount: number; status: number; code?: string; id?: string }> = [];
        for (const { refunds, withWorker } of rounds) {
          const requests = refunds.map(async ({ amount, delay }) => {
            await turns(delay);
            const r = await refund(sale.id, amount);
            const body = r.json();
            outcomes.push({ amount, status: r.statusCode, code: body.code, id: body.id });
          });
          await Promise.all(withWorker ? [...requests, h.drain()] : requests);
        }

        for (const o of outcomes) {
          expect(o.status, JSON.stringify(o)).toBeLessThan(500);
          expect([201, 422], JSON.stringify(o)).toContain(o.status);
          if (o.status === 422) expect(o.code).toBe('refund_exceeds_refundable');
        }
        const accepted = outcomes.filter((o) => o.status === 201);
        const acceptedSum = accepted.reduce((s, o) => s + o.amount, 0);
        expect(acceptedSum).toBeLessThanOrEqual(saleAmount);

        const rows = await refundRows(sale.id);
        expect(rows.map((r) => r.id).sort()).toEqual(accepted.map((o) => o.id).sort());
        expect(rows.reduce((s, r) => s + Number(r.amount), 0)).toBe(acceptedSum);

        const payment = await getPayment(sale.id);
        expect(payment.refundableAmount).toBe(saleAmount - acceptedSum);
        expect(payment.refundedAmount + payment.pendingRefundAmount).toBe(acceptedSum);
        // Nothing here releases a reservation, so the refundable amount only ever went down: each
        // refused refund was larger than what is refundable now.
        for (const o of outcomes.filter((x) => x.status === 422)) {
          expect(o.amount).toBeGreaterThan(payment.refundableAmount);
        }
      }),
      { numRuns: 100 },
    );
  }, 120_000); // room for fast-check to shrink a failure to its smallest case
});
