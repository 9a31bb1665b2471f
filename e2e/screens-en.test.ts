import { describe, expect, it } from 'vitest';
import { REFUND_PASSWORD } from '../test/support/harness.js';
import { haveChromium, shot } from './support/browser.js';
import { browserSuite } from './support/suite.js';
import { screenShows, slipShows, tap } from './support/terminal.js';

/** The terminal in English, screen by screen (the other files walk it in Chinese): words and screenshots. */
describe.skipIf(!haveChromium())('the POS terminal in English', () => {
  const t = browserSuite();

  it('speaks English on every main screen once switched, and keeps the choice', async () => {
    const { page } = t.b;
    await page.goto(`${t.s.base}/terminal`);
    await page.getByRole('button', { name: 'English' }).click();
    await screenShows(page, 'Enter the terminal no.');
    await shot(page, 'terminal-bind');
    await page.locator('#serial').fill('T-0001');
    await page.locator('#serial').press('Enter');
    await screenShows(page, 'Press Enter to sign on');
    await shot(page, 'terminal-welcome');
    await page.reload();
    await screenShows(page, 'Press Enter to sign on');

    // A button with the focus (the language switch just clicked) leaves digits and F1 to the screen.
    await page.getByRole('button', { name: 'English' }).click();
    await page.keyboard.press('F1');
    await page.keyboard.type('00');
    await screenShows(page, /Operator no\.\s*00|00\s*Operator no\./);
    await tap(page, 'enter', '1', 'enter');
    await screenShows(page, 'Wrong login or password');
    await tap(page, 'enter', '00', 'enter', '519370');
    await screenShows(page, '******');
    await shot(page, 'terminal-password');
    await tap(page, 'enter');
    await screenShows(page, '1 Sale');
    expect(await page.locator('.keypad').textContent()).toContain('Cancel');
    await shot(page, 'terminal-menu');

    await tap(page, '1', '12345');
    await screenShows(page, '¥123.45');
    await shot(page, 'terminal-amount');
    // Switching the language mid-sale changes the words only: the amount typed stays on screen.
    await page.getByRole('button', { name: '中文' }).click();
    await screenShows(page, /消费[\s\S]*¥123\.45/);
    await page.getByRole('button', { name: 'English' }).click();
    await screenShows(page, /Sale[\s\S]*¥123\.45/);
    await tap(page, 'enter');
    await screenShows(page, 'Swipe / insert / tap card');
    await shot(page, 'terminal-card');
    await tap(page, '2');
    await screenShows(page, 'Approved');
    await slipShows(page, 'MERCHANT COPY');
    await shot(page, 'terminal-sale-slip');
    await tap(page, 'enter', 'enter');

    const sale = await t.s.h.sale(9_900, { settled: true });
    await tap(page, '3', REFUND_PASSWORD, 'enter');
    await screenShows(page, 'Original ref. no.');
    await tap(page, String(sale.reference), 'enter');
    await screenShows(page, 'Refundable ¥99.00');
    await tap(page, '990');
    await shot(page, 'terminal-refund-amount');
    await tap(page, 'enter');
    await screenShows(page, 'Refund accepted');
    await slipShows(page, 'REFUND');
    await shot(page, 'terminal-refund-slip');
    await tap(page, 'enter', 'enter');

    await tap(page, '4', '4');
    await screenShows(page, 'Batch summary');
    await screenShows(page, /Refunds 1/);
    await shot(page, 'terminal-query-summary');
    await tap(page, 'enter', 'cancel', '6');
    await screenShows(page, '1 Last transaction');
    await shot(page, 'terminal-print-menu');
    await tap(page, 'cancel', '2', REFUND_PASSWORD, 'enter');
    await screenShows(page, 'Original voucher or ref. no.');
    await tap(page, '7');
    await shot(page, 'terminal-void-voucher');
    await tap(page, 'cancel', 'cancel');
    await screenShows(page, '1 Sale');

    await tap(page, '7', '1');
    await screenShows(page, 'Current password');
    await shot(page, 'terminal-change-password');
    await tap(page, 'cancel', '3');
    await screenShows(page, '5 Operator password');
    await shot(page, 'terminal-operators');
    await tap(page, '2', '04', 'enter', '5190');
    await screenShows(page, 'Password');
    await tap(page, 'enter', '5190');
    await screenShows(page, 'Confirm the password');
    await shot(page, 'terminal-operator-add');
    await tap(page, 'enter');
    await screenShows(page, 'Operator 04 added');
    await tap(page, 'enter', '4');
    await screenShows(page, '04 Cashier');
    await shot(page, 'terminal-operator-list');
    await tap(page, 'enter', 'cancel', '4');
    await screenShows(page, '1 Agent unlock');
    await shot(page, 'terminal-forgot');
    await tap(page, '1');
    await screenShows(page, 'Tell the agent this challenge');
    await shot(page, 'terminal-forgot-challenge');
    await tap(page, 'enter', '12345678');
    await screenShows(page, 'Enter the 8-digit unlock code');
    await shot(page, 'terminal-forgot-code');
    await tap(page, 'cancel', 'cancel', 'cancel', 'cancel');
    await t.s.h.sale(1_000); // the batch above was settled with the refunded sale
    await tap(page, '5');
    await screenShows(page, 'Settle the open batch?');
    await screenShows(page, /Refunds 1\D+¥9\.90/);
    await shot(page, 'terminal-settle');
    await tap(page, 'enter');
    await screenShows(page, 'Settled, signed off');
    await slipShows(page, 'SETTLEMENT');
    await shot(page, 'terminal-settled');
  });
});
