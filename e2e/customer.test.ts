import { describe, expect, it } from 'vitest';
import { REFUND_PASSWORD } from '../test/support/harness.js';
import { haveChromium, shot } from './support/browser.js';
import { browserSuite } from './support/suite.js';

describe.skipIf(!haveChromium())('the customer’s refund page at /refund', () => {
  const t = browserSuite();

  async function fillRequest(reference: string, amount: string) {
    const { page } = t.b;
    await page.locator('input[name="reference"]').fill(reference);
    await page.locator('input[name="last4"]').fill('1111');
    await page.locator('input[name="amount"]').fill(amount);
    await page.locator('select[name="reason"]').selectOption('goods_returned');
    await page.locator('textarea[name="description"]').fill('尺码不合适, 已退回商品');
    await page.locator('input[name="email"]').fill('li.lei@example.cn');
  }

  it('asks for a refund from the receipt, tracks it by a link whose secret is in the fragment, and shows the merchant’s approval', async () => {
    const sale = await t.s.h.sale(10_000, { settled: true });
    const { page } = t.b;
    await page.goto(`${t.s.base}/refund`);
    await page.getByRole('heading', { name: '申请退款' }).waitFor();
    await fillRequest(String(sale.reference), '50');
    await shot(page, 'refund-form');
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByRole('heading', { name: '申请已提交' }).waitFor();
    const id = (await page.getByTestId('refund-id').textContent()) ?? '';
    const secret = (await page.getByTestId('tracking-secret').textContent()) ?? '';
    expect(id).toMatch(/^re_/);
    expect(secret.length).toBeGreaterThan(10);
    await shot(page, 'refund-received');

    await page.getByRole('link', { name: '查看退款进度' }).click();
    await page.locator('.status[data-status="pending_merchant"]').waitFor();
    // The link's secret was in its fragment; read once, it leaves the address bar and the history.
    expect(new URL(page.url()).hash).toBe('');
    expect(new URL(page.url()).search).toBe('');
    await page.locator('.timeline li').first().waitFor();
    expect(await page.locator('.status').textContent()).toContain('¥50.00');
    await shot(page, 'refund-track-pending');

    const owner = await t.s.h.login('owner');
    const decided = await t.s.h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${id}/merchant-decision`,
      headers: owner,
      payload: { decision: 'approve', refundPassword: REFUND_PASSWORD },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    while ((await t.s.h.drain()) > 0) {}
    await page.getByRole('button', { name: '刷新' }).click();
    await page.locator('.status[data-status="succeeded"]').waitFor();
    expect(await page.locator('.timeline li').count()).toBeGreaterThanOrEqual(3);
    await shot(page, 'refund-track-succeeded');

    // The secret never travelled in a URL: not in the query of any request the page made.
    const leaking = t.b.requests.filter((u) => u.includes(secret) || u.includes(encodeURIComponent(secret)));
    expect(leaking).toEqual([]);
  });

  it('shows the server’s problem title when the receipt does not match', async () => {
    const { page } = t.b;
    await page.goto(`${t.s.base}/refund`);
    await fillRequest('000000000000', '10.00');
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByRole('alert').filter({ hasText: '没有与参考号和卡号相符的交易' }).waitFor();
  });

  it('switches language, keeps the choice across visits, and tracks in the chosen language', async () => {
    const sale = await t.s.h.sale(6_000, { settled: true });
    const { page } = t.b;
    await page.goto(`${t.s.base}/refund`);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Ask for a refund' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Ask for a refund' }).waitFor();
    expect(await page.evaluate<string>('document.documentElement.lang')).toBe('en');
    await fillRequest(String(sale.reference), '12.5');
    await shot(page, 'refund-form');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByRole('heading', { name: 'Request received' }).waitFor();
    await shot(page, 'refund-received');
    await page.getByRole('link', { name: 'Follow my refund' }).click();
    await page.locator('.status[data-status="pending_merchant"]').waitFor();
    expect(await page.locator('.status').textContent()).toContain('¥12.50');
    await shot(page, 'refund-track-pending');
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '退款进度' }).waitFor();
  });
});
