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
});
