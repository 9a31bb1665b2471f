import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';

describe.each(engines())('settlement racing with sales (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('counts every sale in exactly one settled batch, even when a settlement runs among them', async () => {
    const cashier = await h.operator('cashier');
    const supervisor = await h.operator('supervisor');
    const settle = () =>
      h.app.inject({ method: 'POST', url: `/api/v1/terminals/${h.ids.terminalId}/settle`, headers: supervisor });
    expect((await settle()).statusCode).toBe(200); // close the demo data's open batch
    await h.sale(100); // open a fresh batch
    const sales = Array.from({ length: 40 }, (_, i) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/payments',
        headers: cashier,
        payload: { amount: 1_000 + i, card: { number: '4111111111111111' } },
      }),
    );
    const first = settle();
    const answers = await Promise.all([...sales, first]);
    const settledFirst = answers.pop();
    expect(settledFirst?.statusCode, settledFirst?.body).toBe(200);
    for (const a of answers) expect(a.statusCode, a.body).toBe(201);
    // Sales that waited behind the first settlement opened the next batch; if none did, there is
    // nothing left to settle.
    const second = await settle();
    if (second.statusCode !== 200) expect(second.json().code).toBe('batch_empty');
    const totals = [settledFirst?.json(), ...(second.statusCode === 200 ? [second.json()] : [])];
    const counted = totals.reduce((s, t) => s + t.sales.amount, 0);
    const sold = 100 + answers.reduce((s, a) => s + a.json().amount, 0);
    expect(counted).toBe(sold);
    expect(totals.reduce((s, t) => s + t.sales.count, 0)).toBe(41);
    const batchIds = new Set(totals.map((t) => t.batchId));
    for (const a of answers) expect(batchIds.has(a.json().batchId)).toBe(true);
  });
  it('counts each void racing a settlement exactly once: voided in the batch it closed, or refused', async () => {
    const supervisor = await h.operator('supervisor');
    const key = await h.apiKey(['payments:write', 'refunds:write']); // no argon2 wait: the voids really race
    const settle = () =>
      h.app.inject({ method: 'POST', url: `/api/v1/terminals/${h.ids.terminalId}/settle`, headers: supervisor });
    for (let round = 0; round < 5; round++) {
      await settle(); // whatever is open closes; the sales below open a fresh batch
      const sales: { id: string; amount: number }[] = [];
      for (let i = 0; i < 12; i++) sales.push({ id: (await h.sale(1_000 + i)).id, amount: 1_000 + i });
      const voids = sales.map((p) =>
        h.app.inject({ method: 'POST', url: `/api/v1/payments/${p.id}/void`, headers: key, payload: {} }),
      );
      const [settled, ...answers] = await Promise.all([settle(), ...voids]);
      expect(settled.statusCode, settled.body).toBe(200);
      const totals = settled.json();
      let voidedCount = 0;
      let voidedAmount = 0;
      for (const [i, a] of answers.entries()) {
        const payment = (
          await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sales[i].id}`, headers: supervisor })
        ).json();
        if (a.statusCode === 200) {
          voidedCount++;
          voidedAmount += sales[i].amount;
          expect(payment.status).toBe('voided');
        } else {
          expect(a.json().code, a.body).toBe('payment_not_voidable');
          expect(payment.status).toBe('approved');
        }
      }
      const sold = sales.reduce((s, p) => s + p.amount, 0);
      expect(totals.voids).toEqual({ count: voidedCount, amount: voidedAmount });
      expect(totals.net).toBe(sold - voidedAmount);
    }
  });
});
