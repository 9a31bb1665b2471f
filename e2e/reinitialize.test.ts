import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { haveChromium, shot } from './support/browser.js';
import type { Served } from './support/server.js';
import { browserSuite } from './support/suite.js';
import { screenShows, screenText, signOn, tap } from './support/terminal.js';

/** Settles T-0001 through the API, so that its open batch holds no sales (re-initialisation refuses those). */
async function settleFirst(s: Served): Promise<void> {
  const r = await s.h.app.inject({
    method: 'POST',
    url: `/api/v1/terminals/${s.h.ids.terminalId}/settle`,
    headers: await s.h.operator('supervisor'),
  });
  expect([200, 409]).toContain(r.statusCode);
}

/**
 * 管理 → 重新初始化 on /terminal, then the first sign-on of the new 00: activation code → new
 * operator password → new refund password. Walked in Chinese, then in English (screenshots of each).
 */
async function reinitialise(page: Page, words: Record<string, RegExp | string>, password: string): Promise<string> {
  await tap(page, '7');
  await screenShows(page, words.manage);
  await shot(page, 'terminal-manage');
  await tap(page, '2');
  await screenShows(page, words.warning);
  await shot(page, 'terminal-reinit-warning');
  await tap(page, 'enter');
  await page.locator('#reinit-serial').fill('T-0001');
  await page.locator('#reinit-serial-again').fill('T-0010');
  await page.locator('#reinit-password').fill(password);
  await page.locator('#reinit-password').press('Enter');
  await screenShows(page, words.mismatch);
  expect(await page.locator('#reinit-password').inputValue()).toBe('');
  await page.locator('#reinit-serial-again').fill('T-0001');
  await page.locator('#reinit-password').fill(password);
  await shot(page, 'terminal-reinit-form');
  await tap(page, 'enter');
  await screenShows(page, words.done);
  const code = (await page.locator('.activation-code').textContent()) ?? '';
  expect(code).toMatch(/^\d{10}$/);
  await shot(page, 'terminal-reinit-done');
  // Shown once, so never taken away by the 60-s idle timer: it stays until 确认.
  await page.clock.runFor(61_000);
  expect(await page.locator('.activation-code').textContent()).toBe(code);
  await tap(page, 'enter');
  await screenShows(page, words.welcome);
  return code;
}

async function activate(page: Page, words: Record<string, RegExp | string>, code: string, op: string, refund: string) {
  await tap(page, 'enter', '00', 'enter', code, 'enter');
  await screenShows(page, words.activate);
  expect(await screenText(page)).not.toContain(code);
  await tap(page, op, 'enter', op);
  await shot(page, 'terminal-activate');
  await tap(page, 'enter');
  await screenShows(page, words.refundUnset);
  await tap(page, refund, 'enter', refund);
  await shot(page, 'terminal-activate-refund');
  await tap(page, 'enter');
  await screenShows(page, words.activated);
  await shot(page, 'terminal-activated');
  // The code worked once; the new password signs 00 on, straight to the menu.
  await tap(page, 'enter', '00', 'enter', code, 'enter');
  await screenShows(page, words.wrong);
  await tap(page, 'enter', '00', 'enter', op, 'enter');
  await page.locator('.screen-body .menu').waitFor();
}

describe.skipIf(!haveChromium())('re-initialising the terminal at /terminal', () => {
  const t = browserSuite();

  it('管理 → 重新初始化: warns, takes the serial twice and the supervisor password, shows the code once; 00 activates', async () => {
    const { page } = t.b;
    await page.clock.install();
    await settleFirst(t.s);
    await signOn(page, t.s.base, '00', '519370');
    const code = await reinitialise(
      page,
      {
        manage: '2 重新初始化',
        warning: '所有数据将被清除, 请谨慎操作',
        mismatch: '两次输入的终端号与本终端不符',
        done: '重新初始化完成',
        welcome: '按确认键签到',
      },
      '519370',
    );
    await activate(
      page,
      {
        activate: '首次签到',
        refundUnset: '退款密码尚未设置',
        activated: '激活完成, 请重新签到',
        wrong: '账号或密码错误',
      },
      code,
      '640285',
      '958314',
    );
    const event = await t.s.h.db.kysely
      .selectFrom('audit_events')
      .select(['details', 'ip'])
      .where('action', '=', 'terminal.reinitialized')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(event.details)).toMatchObject({ backupSkipped: false, role: 'supervisor' });
    expect(t.b.requests.join(' ')).not.toContain(code);
  });

  it('walks the same screens in English', async () => {
    const { page } = t.b;
    await page.clock.install();
    // No sale since the first walk: the batch is still settled. 00's password is the one it set.
    await page.goto(`${t.s.base}/terminal/T-0001`);
    await page.getByRole('button', { name: 'English' }).click();
    await screenShows(page, 'Press Enter to sign on');
    await tap(page, 'enter', '00', 'enter', '640285', 'enter');
    await page.locator('.screen-body .menu').waitFor();
    const code = await reinitialise(
      page,
      {
        manage: '2 Re-initialise',
        warning: 'All data will be wiped: proceed with care',
        mismatch: 'The serial typed twice does not match the terminal’s',
        done: 'Re-initialised',
        welcome: 'Press Enter to sign on',
      },
      '640285',
    );
    await activate(
      page,
      {
        activate: 'First sign-on',
        refundUnset: 'No refund password is set',
        activated: 'Activated: please sign on again',
        wrong: 'Wrong login or password',
      },
      code,
      '702518',
      '286159',
    );
  });
});
