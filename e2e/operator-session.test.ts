import { describe, expect, it } from 'vitest';
import { haveChromium, shot } from './support/browser.js';
import { browserSuite } from './support/suite.js';
import { screenShows, signOn, tap } from './support/terminal.js';

describe.skipIf(!haveChromium())('an operator’s session at the terminal', () => {
  const t = browserSuite();

  it('returns to sign-on when the server ends the session, and makes a reset password be changed first', async () => {
    const { page } = t.b;
    await signOn(page, t.s.base, '01', '4826');
    const reset = await t.s.h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${t.s.h.ids.terminalId}/operators/01/password-reset`,
      headers: await t.s.h.login('owner'),
      payload: { temporaryPassword: '5173' },
    });
    expect(reset.statusCode, reset.body).toBe(204);

    await tap(page, '4', '1');
    await screenShows(page, '登录已失效, 请重新签到');
    await tap(page, 'enter');
    await screenShows(page, '请输入操作员号');

    await tap(page, '01', 'enter', '5173', 'enter');
    await screenShows(page, '密码已被重置, 请设置新密码');
    await screenShows(page, '请输入新密码');
    await tap(page, '8264', 'enter');
    await screenShows(page, '请确认新密码');
    await tap(page, '8264');
    await shot(page, 'terminal-own-password');
    await tap(page, 'enter');
    await screenShows(page, '密码修改成功, 请重新签到');
    await tap(page, 'enter', '01', 'enter', '8264', 'enter');
    await screenShows(page, '1 消费');
  });
});
