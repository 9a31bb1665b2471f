import { describe, expect, it } from 'vitest';
import { criticalViolations } from './support/axe.js';
import { haveChromium } from './support/browser.js';
import { browserSuite } from './support/suite.js';
import { screenShows, signOn } from './support/terminal.js';

describe.skipIf(!haveChromium())('accessibility (axe-core)', () => {
  const t = browserSuite();

  it('finds no critical or serious violation on the home page, the terminal (binding and menu) or the customer’s page', async () => {
    const { page } = t.b;
    await page.goto(`${t.s.base}/`);
    await page.getByRole('link', { name: 'POS 终端' }).waitFor();
    expect(await criticalViolations(page), '/ (home)').toEqual([]);
    await page.goto(`${t.s.base}/terminal`);
    await screenShows(page, '请输入终端号');
    expect(await criticalViolations(page), '/terminal (binding)').toEqual([]);
    await signOn(page, t.s.base, '01', '4826');
    expect(await criticalViolations(page), '/terminal/T-0001 (menu)').toEqual([]);
    await page.goto(`${t.s.base}/refund`);
    await page.getByRole('heading', { name: '申请退款' }).waitFor();
    expect(await criticalViolations(page), '/refund').toEqual([]);
  });
});
