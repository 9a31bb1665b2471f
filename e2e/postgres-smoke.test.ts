import { describe, expect, it } from 'vitest';
import { engines } from '../test/support/engines.js';
import { haveChromium } from './support/browser.js';
import { browserSuite } from './support/suite.js';
import { screenShows, signOn, slipShows, tap } from './support/terminal.js';

// engines() says so when PostgreSQL is skipped, and fails the run in CI without it.
const onPostgres = engines().includes('postgres');

describe.skipIf(!haveChromium() || !onPostgres)('the screens on PostgreSQL (smoke)', () => {
  const t = browserSuite('postgres');

  it('sells at the terminal and lets the customer ask for a refund of that sale and track it', async () => {
    const { page } = t.b;
    await signOn(page, t.s.base, '01', '4826');
    await tap(page, '1', '6600', 'enter', '1');
    await screenShows(page, '交易成功');
    await slipShows(page, '商户存根');
    const reference = /参考号 (\d{12})/.exec((await page.locator('.screen-body').textContent()) ?? '')?.[1] ?? '';
    expect(reference).toMatch(/^\d{12}$/);

    await page.goto(`${t.s.base}/refund`);
    await page.locator('input[name="reference"]').fill(reference);
    await page.locator('input[name="last4"]').fill('1111');
    await page.locator('input[name="amount"]').fill('66');
    await page.locator('textarea[name="description"]').fill('smoke');
    await page.locator('input[name="phone"]').fill('+86 138 0000 0000');
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByRole('link', { name: '查看退款进度' }).click();
    await page.locator('.status[data-status="pending_merchant"]').waitFor();
  });
});
