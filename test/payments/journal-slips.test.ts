import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';

/** 打印 by 凭证号 and the settlement slip, from the server: any browser, any time, the right slip. */
describe.each(engines())('the terminal journal and its slips (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  const get = async (url: string, headers: Record<string, string>, status = 200) => {
    const r = await h.app.inject({ method: 'GET', url, headers });
    expect(r.statusCode, `${url}: ${r.body}`).toBe(status);
    return r.json();
  };
  type Entry = { kind: string; voucherNo: number; batchNo: number; paymentId: string; refundId: string | null };
  const journal = async (query: string, headers: Record<string, string>, terminalId = h.ids.terminalId) =>
    (await get(`/api/v1/terminals/${terminalId}/journal?${query}`, headers)).data as Entry[];
  const post = async (url: string, headers: Record<string, string>, body: object) => {
    const r = await h.app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'idempotency-key': url + Math.random() },
      payload: body,
    });
    expect(r.statusCode, r.body).toBeLessThan(300);
    return r.json();
  };

  it('lists a sale, its void and a counter refund under their own 凭证号, and each reprints its own slip', async () => {
    const cashier = await h.operator('cashier');
    const supervisor = await h.operator('supervisor');
    const voided = await h.sale(2_500);
    await post(`/api/v1/payments/${voided.id}/void`, supervisor, { refundPassword: REFUND_PASSWORD });
    const sold = await h.sale(4_000);
    const refund = await post('/api/v1/refunds', supervisor, {
      paymentId: sold.id,
      amount: 1_500,
      reason: 'goods_returned',
      refundPassword: REFUND_PASSWORD,
    });

    const [refundEntry, saleEntry, voidEntry, voidedSale] = await journal('limit=4', cashier);
    expect([refundEntry.kind, saleEntry.kind, voidEntry.kind, voidedSale.kind]).toEqual([
      'refund',
      'sale',
      'void',
      'sale',
    ]);
    expect(refundEntry.refundId).toBe(refund.id);
    expect(new Set([refundEntry, saleEntry, voidEntry, voidedSale].map((e) => e.voucherNo)).size).toBe(4);
    expect((await journal(`voucher=${refundEntry.voucherNo}`, cashier)).map((e) => e.refundId)).toEqual([refund.id]);
    const url = `/api/v1/terminals/${h.ids.terminalId}/journal?voucher=${refundEntry.voucherNo}`;
    await get(url, await h.operator('cashier', 'other'), 404); // a T-0002 operator: not its terminal
    await get(url, await h.login('otherOwner'), 404);

    // Each entry's slip: the refund's is the refund's (not the sale's), the voided sale's own slip stays printable.
    const refundSlip = (await get(`/api/v1/refunds/${refund.id}/receipt`, cashier)).merchantCopy.join('\n');
    expect(refundSlip).toContain('退货(REFUND)');
    expect(refundSlip).toContain(`凭证号(VOUCHER NO.): ${String(refundEntry.voucherNo).padStart(6, '0')}`);
    expect(refundSlip).toMatch(/状态\(STATUS\): (待收单审核|待商户审核|处理中|退款成功)\(/);
    expect(refundSlip).not.toMatch(/STATUS\): [a-z_]+$/m);
    const saleSlip = (await get(`/api/v1/payments/${voided.id}/receipt?kind=sale`, cashier)).merchantCopy.join('\n');
    expect(saleSlip).toContain('消费(SALE)');
    expect(saleSlip).toContain(`凭证号(VOUCHER NO.): ${String(voidedSale.voucherNo).padStart(6, '0')}`);
    const voidSlip = (await get(`/api/v1/payments/${voided.id}/receipt`, cashier)).merchantCopy.join('\n');
    expect(voidSlip).toContain('撤销(VOID)');
    await get(`/api/v1/payments/${sold.id}/receipt?kind=void`, cashier, 404);
  });

  it('prints the settlement slip of the last settled batch, with the terminal’s numbers and who settled', async () => {
    const supervisor = await h.operator('supervisor');
    await h.sale(1_000);
    const settled = await post(`/api/v1/terminals/${h.ids.terminalId}/settle`, supervisor, {});
    expect(settled.operatorCode).toBe('00');
    const slip = await get(
      `/api/v1/terminals/${h.ids.terminalId}/settlement-receipt?tz=Asia/Shanghai`,
      await h.operator('cashier'),
    );
    const text = slip.merchantCopy.join('\n');
    expect(slip.kind).toBe('settlement');
    expect(slip.customerCopy).toEqual([]);
    expect(text).toMatch(/商户编号\(MERCHANT NO\.\): \d{15}$/m);
    expect(text).toMatch(/终端编号\(TERMINAL NO\.\): \d{8}$/m);
    expect(text).not.toContain('T-0001');
    expect(text).toContain('操作员号(OPERATOR NO.): 00');
    expect(text).toContain(`批次号(BATCH NO.): ${String(settled.batchNo).padStart(6, '0')}`);
    expect(text).toMatch(/日期\/时间\(DATE\/TIME\): \d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/m);
    expect(text).toMatch(new RegExp(`消费\\(SALE\\): ${settled.sales.count} 笔`));
    expect(text).toContain(`净额(NET): RMB ${(settled.net / 100).toFixed(2)}`);
    const byNumber = await get(
      `/api/v1/terminals/${h.ids.terminalId}/settlement-receipt?batch=${settled.batchNo}&tz=Asia/Shanghai`,
      await h.login('owner'),
    );
    expect(byNumber.merchantCopy).toEqual(slip.merchantCopy);
    await get(`/api/v1/terminals/${h.ids.terminalId}/settlement-receipt?batch=999999`, supervisor, 404);
    await get(`/api/v1/terminals/${h.ids.terminalId}/settlement-receipt`, await h.login('otherOwner'), 404);
  });
});
