import type { Page } from 'playwright-core';

/** Presses keypad buttons with the mouse: a named key (enter, cancel, clear, fn, up, down, 00) or digits one by one. */
export async function tap(page: Page, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    const named = ['cancel', 'clear', 'enter', 'fn', 'up', 'down', '00'].includes(k);
    for (const key of named ? [k] : k.split('')) await page.locator(`.keypad [data-key="${key}"]`).click();
  }
}

/** Waits (auto-waiting locator, no sleeps) until the terminal's screen shows `text`. */
export async function screenShows(page: Page, text: string | RegExp): Promise<void> {
  await page.locator('.screen-body').filter({ hasText: text }).waitFor();
}

export async function slipShows(page: Page, text: string | RegExp): Promise<void> {
  await page.locator('.paper .slip').filter({ hasText: text }).waitFor();
}

/** The 凭证号 on the slip in the printer slot. */
export async function slipVoucher(page: Page): Promise<string> {
  const text = (await page.locator('.paper .slip').textContent()) ?? '';
  const voucher = /凭证号\(VOUCHER NO\.\):\s*(\d{6})/.exec(text)?.[1];
  if (!voucher) throw new Error(`no voucher no. on the slip: ${text}`);
  return voucher;
}

export async function screenText(page: Page): Promise<string> {
  return (await page.locator('.screen-body').textContent()) ?? '';
}

/** Opens /terminal/<serial> and signs an operator on with the keypad. */
export async function signOn(page: Page, base: string, operator: string, password: string, serial = 'T-0001') {
  await page.goto(`${base}/terminal/${serial}`);
  await screenShows(page, /欢迎使用|Welcome/);
  await tap(page, 'enter', operator, 'enter', password, 'enter');
  await page.locator('.screen-body .menu').waitFor();
}
