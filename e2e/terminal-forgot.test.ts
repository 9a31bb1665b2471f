import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUND_PASSWORD } from '../test/support/harness.js';
import { startSmtp, type TestSmtp } from '../test/support/smtp.js';
import { haveChromium, shot } from './support/browser.js';
import { browserSuite } from './support/suite.js';
import { screenShows, signOn, tap } from './support/terminal.js';

/** The merchant's registered e-mail (the demo merchant's, src/seed/demo.ts). */
const MERCHANT_EMAIL = 'owner@merchant.demo';

/**
 * 管理 → 忘记退款密码 → 邮件验证码 at the terminal: the code goes to the merchant's registered
 * e-mail through a real SMTP server, is read from the message received there, typed on the keypad,
 * and sets a new refund password; the old one no longer authorises, the new one does.
 */
describe.skipIf(!haveChromium())('a forgotten refund password, by e-mail code, at the terminal', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(() => smtp?.close());
  const t = browserSuite('sqlite', () => ({ smtpUrl: smtp.url }));

  it('sends the code by e-mail, takes it from the keypad with the new password twice, and the new password works', async () => {
    const h = t.s.h;
    const { page } = t.b;
    await signOn(page, t.s.base, '00', '519370');
    await tap(page, '7', '4');
    await screenShows(page, '3 邮件验证码');
    await tap(page, '3');
    await screenShows(page, '请输入 6 位验证码');
    await screenShows(page, '验证码已发至商户预留邮箱');
    await shot(page, 'terminal-forgot-email-code');
    await page.getByRole('button', { name: 'English' }).click();
    await screenShows(page, 'Sent to the merchant’s registered e-mail');
    await shot(page, 'terminal-forgot-email-code');
    await page.getByRole('button', { name: '中文' }).click();
    await screenShows(page, '验证码已发至商户预留邮箱');

    while ((await h.drain()) > 0) {}
    const mails = smtp.to(MERCHANT_EMAIL);
    expect(mails).toHaveLength(1);
    const code = /\b(\d{6})\b/.exec(mails[0].text ?? '')?.[1];
    expect(code, mails[0].text).toBeDefined();

    // A wrong code first: refused in the server's words, and the walk starts again at the code.
    const wrong = code === '000000' ? '111111' : '000000';
    await tap(page, wrong, 'enter', '602718', 'enter', '602718', 'enter');
    await screenShows(page, '验证码错误、已过期或已使用');
    await tap(page, 'enter');
    await screenShows(page, '请输入 6 位验证码');

    await tap(page, code as string, 'enter');
    await screenShows(page, '请输入新密码');
    await tap(page, '602718', 'enter');
    await screenShows(page, '请确认新密码');
    await tap(page, '602718', 'enter');
    await screenShows(page, '修改成功, 请重新登录');
    await tap(page, 'enter');
    await screenShows(page, '请输入操作员号');

    // Every session ended; the old password no longer authorises a void, the new one does.
    h.forgetTokens();
    const sale = await h.sale(1_000);
    const void_ = (refundPassword: string) =>
      h.operator('supervisor').then((headers) =>
        h.app.inject({
          method: 'POST',
          url: `/api/v1/payments/${sale.id}/void`,
          headers,
          payload: { refundPassword },
        }),
      );
    expect((await void_(REFUND_PASSWORD)).json().code).toBe('refund_password_invalid');
    const r = await void_('602718');
    expect(r.statusCode, r.body).toBe(200);
  });
});
