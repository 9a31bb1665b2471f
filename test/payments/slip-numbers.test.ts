import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../src/db/migrations/021_terminal_journal.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';

const field = (lines: string[], label: string) => {
  const line = lines.find((l) => l.includes(label)) ?? '';
  return new RegExp(`${label.replace(/[()./]/g, '\\$&')}: (\\S+)`).exec(line)?.[1];
};

describe.each(engines())('the numbers a slip prints (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  async function receipt(url: string, who: 'cashier' | 'supervisor' = 'cashier') {
    const r = await h.app.inject({ method: 'GET', url, headers: await h.operator(who) });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { merchantCopy: string[]; customerCopy: string[] };
  }

  it('prints the 15-digit merchant no., 8-digit terminal no., operator, batch and voucher no. and an MM/DD time', async () => {
    const sale = await h.sale(1_234);
    const { merchantCopy, customerCopy } = await receipt(`/api/v1/payments/${sale.id}/receipt?tz=Asia/Shanghai`);
    expect(field(merchantCopy, '商户编号(MERCHANT NO.)')).toMatch(/^\d{15}$/);
    expect(field(merchantCopy, '终端编号(TERMINAL NO.)')).toMatch(/^\d{8}$/);
    expect(field(merchantCopy, '操作员号(OPERATOR NO.)')).toBe('01');
    expect(field(merchantCopy, '批次号(BATCH NO.)')).toBe('000002'); // the demo settled batch 1
    expect(field(merchantCopy, '凭证号(VOUCHER NO.)')).toBe('000006'); // after the demo's five sales
    expect(field(merchantCopy, '参考号(REFER NO.)')).toBe(sale.reference);
    // The harness clock says 2026-03-02T08:00Z: 16:00 in Shanghai.
    expect(merchantCopy).toContain('日期/时间(DATE/TIME): 03/02 16:00:00');
    expect(merchantCopy).toContain('金额(AMOUNT): RMB 12.34');
    expect(merchantCopy[1]).toBe('商户存根(MERCHANT COPY)');
    expect(customerCopy[1]).toBe('持卡人存根(CARDHOLDER COPY)');
    const utc = await receipt(`/api/v1/payments/${sale.id}/receipt`);
    expect(utc.merchantCopy).toContain('日期/时间(DATE/TIME): 03/02 08:00:00');
    const bad = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${sale.id}/receipt?tz=Mars/Olympus`,
      headers: await h.operator('cashier'),
    });
    expect(bad.statusCode).toBe(400);
  });

  it('gives a void and a counter refund the next vouchers, printed negative, with the original voucher', async () => {
    const a = await h.sale(2_000);
    const b = await h.sale(3_000);
    const voucherOf = async (url: string) => Number(field((await receipt(url)).merchantCopy, '凭证号(VOUCHER NO.)'));
    const va = await voucherOf(`/api/v1/payments/${a.id}/receipt`);
    expect(await voucherOf(`/api/v1/payments/${b.id}/receipt`)).toBe(va + 1);
    const voided = await h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${a.id}/void`,
      headers: await h.operator('cashier'),
      payload: { refundPassword: REFUND_PASSWORD },
    });
    expect(voided.statusCode, voided.body).toBe(200);
    const v = (await receipt(`/api/v1/payments/${a.id}/receipt`)).merchantCopy;
    expect(v).toContain('交易类型(TRANS TYPE): 撤销(VOID)');
    expect(Number(field(v, '凭证号(VOUCHER NO.)'))).toBe(va + 2);
    expect(v).toContain(`备注(REFERENCE): 原凭证号(ORIG VOUCHER): ${String(va).padStart(6, '0')}`);
    expect(v).toContain('金额(AMOUNT): RMB -20.00');
    const refund = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: b.id, amount: 500, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    expect(refund.statusCode, refund.body).toBe(201);
    const r = (await receipt(`/api/v1/refunds/${refund.json().id}/receipt`)).merchantCopy;
    expect(r).toContain('交易类型(TRANS TYPE): 退货(REFUND)');
    expect(Number(field(r, '凭证号(VOUCHER NO.)'))).toBe(va + 3);
    expect(r).toContain('金额(AMOUNT): RMB -5.00');
    // A refund made off the terminal (the owner's console) is no terminal's transaction.
    const console = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.login('owner'),
      payload: { paymentId: b.id, amount: 100, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    expect(console.statusCode, console.body).toBe(201);
    const c = (await receipt(`/api/v1/refunds/${console.json().id}/receipt`)).merchantCopy;
    expect(field(c, '凭证号(VOUCHER NO.)')).toBe('------');
    expect(await voucherOf(`/api/v1/payments/${(await h.sale(100)).id}/receipt`)).toBe(va + 4);
  });

  it('numbers concurrent sales at one terminal with distinct, consecutive vouchers', async () => {
    const before = Number(
      field((await receipt(`/api/v1/payments/${(await h.sale(100)).id}/receipt`)).merchantCopy, '凭证号(VOUCHER NO.)'),
    );
    const key = await h.apiKey(['payments:write']); // no argon2 wait: the sales really race
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        h.app.inject({
          method: 'POST',
          url: '/api/v1/payments',
          headers: key,
          payload: { amount: 1_000 + i, card: { number: '4111111111111111' }, terminalId: h.ids.terminalId },
        }),
      ),
    );
    const vouchers: number[] = [];
    for (const a of answers) {
      expect(a.statusCode, a.body).toBe(201);
      const slip = await receipt(`/api/v1/payments/${a.json().id}/receipt`, 'supervisor');
      vouchers.push(Number(field(slip.merchantCopy, '凭证号(VOUCHER NO.)')));
    }
    expect(vouchers.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => before + 1 + i));
  });

  it('back-fills the numbers of rows made before migration 021 as the live path numbers them', async () => {
    const fresh = await openHarness(engine);
    await fresh.sale(700);
    await fresh.sale(800, { terminal: 'other' });
    const k = fresh.db.kysely;
    const snapshot = async () => ({
      counters: await k.selectFrom('voucher_counters').selectAll().orderBy('terminal_id').execute(),
      merchants: await k.selectFrom('merchants').select(['id', 'merchant_no']).orderBy('id').execute(),
      terminals: await k.selectFrom('terminals').select(['id', 'terminal_no']).orderBy('id').execute(),
      journal: (
        await k
          .selectFrom('terminal_journal')
          .select(['terminal_id', 'batch_id', 'voucher_no', 'kind', 'payment_id', 'operator_id', 'amount'])
          .execute()
      ).sort((x, y) => x.payment_id.localeCompare(y.payment_id)),
    });
    const live = await snapshot();
    await k.deleteFrom('terminal_journal').execute();
    await k.deleteFrom('voucher_counters').execute();
    await backfill(k as unknown as Parameters<typeof backfill>[0]);
    const rebuilt = await snapshot();
    expect(rebuilt.merchants).toEqual(live.merchants);
    expect(rebuilt.journal).toEqual(live.journal);
    expect(rebuilt.terminals).toEqual(live.terminals);
    expect(rebuilt.counters).toEqual(live.counters);
    expect(live.journal.map((j) => j.voucher_no).sort()).toEqual([1, 1, 2, 3, 4, 5, 6]);
    await fresh.close();
  });
});
