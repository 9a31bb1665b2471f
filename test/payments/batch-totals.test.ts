import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';

describe.each(engines())('a batch’s totals count voids and counter refunds (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('shows the open batch so far (查询 → 汇总), then settles the same totals', async () => {
    const supervisor = await h.operator('supervisor');
    const cashier = await h.operator('cashier');
    const summary = async () => {
      const r = await h.app.inject({
        method: 'GET',
        url: `/api/v1/terminals/${h.ids.terminalId}/batch`,
        headers: cashier,
      });
      expect(r.statusCode, r.body).toBe(200);
      return r.json();
    };
    const settle = () =>
      h.app.inject({ method: 'POST', url: `/api/v1/terminals/${h.ids.terminalId}/settle`, headers: supervisor });
    expect((await settle()).statusCode).toBe(200); // the demo's open batch
    const empty = await summary();
    expect(empty).toMatchObject({ batchId: null, batchNo: 3, sales: { count: 0, amount: 0 }, net: 0 });

    const old = await h.sale(9_000, { settled: true }); // batch 3, settled: refunded in batch 4
    const a = await h.sale(1_000);
    const b = await h.sale(2_000);
    await h.sale(4_000);
    const voided = await h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${a.id}/void`,
      headers: cashier,
      payload: { refundPassword: REFUND_PASSWORD },
    });
    expect(voided.statusCode, voided.body).toBe(200);
    for (const [paymentId, amount] of [
      [b.id, 500],
      [old.id, 3_000],
    ] as const) {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: cashier,
        payload: { paymentId, amount, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    // The owner's console refund is no terminal's transaction.
    const console = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.login('owner'),
      payload: { paymentId: old.id, amount: 100, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    expect(console.statusCode, console.body).toBe(201);

    const expected = {
      batchNo: 4,
      sales: { count: 3, amount: 7_000 },
      voids: { count: 1, amount: 1_000 },
      refunds: { count: 2, amount: 3_500 },
      net: 7_000 - 1_000 - 3_500,
    };
    expect(await summary()).toMatchObject(expected);
    const settled = await settle();
    expect(settled.statusCode, settled.body).toBe(200);
    expect(settled.json()).toMatchObject(expected);
  });

  it('answers another terminal’s batch with not-found for an operator', async () => {
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/v1/terminals/${h.ids.terminalId}/batch`,
      headers: await h.operator('cashier', 'other'),
    });
    expect(r.statusCode).toBe(404);
  });
});
