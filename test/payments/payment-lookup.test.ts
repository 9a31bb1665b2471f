import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';

describe.each(engines())('looking payments up by 参考号, batch no. and 凭证号 (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  const list = async (query: string, headers: Record<string, string>) => {
    const r = await h.app.inject({ method: 'GET', url: `/api/v1/payments?${query}`, headers });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().data as { id: string; reference: string; terminalId: string }[];
  };

  it('finds a sale by its reference at its own terminal, and a T-0002 operator finds nothing', async () => {
    const sale = await h.sale(4_321);
    for (const who of ['cashier', 'supervisor'] as const) {
      const mine = await list(`reference=${sale.reference}`, await h.operator(who));
      expect(mine.map((p) => p.id)).toEqual([sale.id]);
      const theirs = await list(`reference=${sale.reference}`, await h.operator(who, 'other'));
      expect(theirs).toEqual([]);
      const direct = await h.app.inject({
        method: 'GET',
        url: `/api/v1/payments/${sale.id}`,
        headers: await h.operator(who, 'other'),
      });
      expect(direct.statusCode).toBe(404);
    }
    expect((await list(`reference=${sale.reference}`, await h.login('owner'))).map((p) => p.id)).toEqual([sale.id]);
    expect(await list(`reference=${sale.reference}`, await h.login('otherOwner'))).toEqual([]);
  });

  it('finds the open batch’s sales by batch no., and a sale by its 凭证号 or its void’s', async () => {
    const cashier = await h.operator('cashier');
    const a = await h.sale(1_000);
    const slip = (
      await h.app.inject({ method: 'GET', url: `/api/v1/payments/${a.id}/receipt`, headers: cashier })
    ).json().merchantCopy as string[];
    const batch = Number(/批次号\(BATCH NO\.\): (\d{6})/.exec(slip.join('\n'))?.[1]);
    const voucher = Number(/凭证号\(VOUCHER NO\.\): (\d{6})/.exec(slip.join('\n'))?.[1]);
    const inBatch = await list(`batch=${batch}&limit=100`, cashier);
    expect(inBatch.map((p) => p.id)).toContain(a.id);
    expect(inBatch.every((p) => p.terminalId === h.ids.terminalId)).toBe(true);
    expect((await list(`batch=1&limit=100`, cashier)).map((p) => p.id)).not.toContain(a.id); // the demo's settled one
    expect((await list(`voucher=${voucher}`, cashier)).map((p) => p.id)).toEqual([a.id]);
    expect(await list(`voucher=${voucher}`, await h.operator('cashier', 'other'))).not.toContainEqual(
      expect.objectContaining({ id: a.id }),
    );
    expect((await list(`reference=${a.reference}&voucher=${voucher + 1}`, cashier)).length).toBe(0);
  });

  it('refuses a malformed reference, batch or voucher', async () => {
    const cashier = await h.operator('cashier');
    for (const q of ['reference=12345', 'reference=abcdefghijkl', 'batch=0', 'voucher=1000000', 'voucher=x']) {
      const r = await h.app.inject({ method: 'GET', url: `/api/v1/payments?${q}`, headers: cashier });
      expect(r.statusCode, q).toBe(400);
    }
  });
});
