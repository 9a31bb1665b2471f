import { describe, expect, it } from 'vitest';
import { REFUND_PASSWORD } from '../test/support/harness.js';
import { haveChromium, shot } from './support/browser.js';
import { browserSuite } from './support/suite.js';
import { screenShows, screenText, signOn, slipShows, slipVoucher, tap } from './support/terminal.js';

describe.skipIf(!haveChromium())('the POS terminal at /terminal', () => {
  const t = browserSuite();

  it('asks which terminal it is on first use, then remembers the serial', async () => {
    const { page } = t.b;
    await page.goto(`${t.s.base}/terminal`);
    await screenShows(page, '请输入终端号');
    await shot(page, 'terminal-bind');
    await page.locator('#serial').fill('T-9999');
    await page.locator('#serial').press('Enter');
    await screenShows(page, '终端号不存在');
    await page.locator('#serial').fill('T-0001');
    await tap(page, 'enter');
    await screenShows(page, '按确认键签到');
    expect(await page.locator('.status-bar').textContent()).toContain('Demo Store / 演示商户');
    await shot(page, 'terminal-welcome');
    await page.reload();
    await screenShows(page, '按确认键签到');
    expect(await page.locator('.status-bar').textContent()).toContain('T-0001');
    expect(await page.evaluate<string>('JSON.stringify(localStorage)')).not.toMatch(/token|rds_/);
  });

  it('signs on with a masked password: a wrong one is refused in the server’s words, the right one opens the menu', async () => {
    const { page } = t.b;
    await page.goto(`${t.s.base}/terminal/T-0001`);
    await screenShows(page, '欢迎使用');
    await tap(page, 'enter', '01', 'enter');
    await screenShows(page, '请输入密码');
    await tap(page, '9999');
    expect(await screenText(page)).toContain('****');
    expect(await screenText(page)).not.toContain('9999');
    await shot(page, 'terminal-password');
    await tap(page, 'enter');
    await screenShows(page, '账号或密码错误');
    await screenShows(page, '还可尝试 4 次');
    await tap(page, 'enter');
    await screenShows(page, '请输入操作员号');
    await tap(page, '01', 'enter', '4826', 'enter');
    await screenShows(page, '1 消费');
    for (const item of ['2 撤销', '3 退货', '4 查询', '5 结算', '6 打印', '7 管理', '8 签退']) {
      expect(await screenText(page)).toContain(item);
    }
    expect(await page.locator('.status-bar').textContent()).toContain('01');
    await shot(page, 'terminal-menu');
  });

  it('sells: the amount fills from the right, a test card is picked, and the slip prints merchant copy then cardholder copy', async () => {
    const { page } = t.b;
    await signOn(page, t.s.base, '01', '4826');
    await tap(page, '1');
    await screenShows(page, '请输入金额');
    await screenShows(page, '¥0.00');
    await tap(page, '1');
    await screenShows(page, '¥0.01');
    await tap(page, '2');
    await screenShows(page, '¥0.12');
    await tap(page, '3');
    await screenShows(page, '¥1.23');
    await tap(page, '4');
    await screenShows(page, '¥12.34');
    await shot(page, 'terminal-amount');
    await tap(page, 'enter');
    await screenShows(page, '请刷卡');
    await shot(page, 'terminal-card');
    await tap(page, '1');
    await screenShows(page, '交易成功');
    const reference = /参考号 (\d{12})/.exec(await screenText(page))?.[1];
    expect(reference).toMatch(/^\d{12}$/);
    await slipShows(page, '商户存根');
    await slipShows(page, `参考号(REFER NO.): ${reference}`);
    await slipShows(page, /商户编号\(MERCHANT NO\.\): \d{15}/);
    await slipShows(page, /终端编号\(TERMINAL NO\.\): \d{8}/);
    await slipShows(page, '操作员号(OPERATOR NO.): 01');
    await slipShows(page, /批次号\(BATCH NO\.\): \d{6}\s+凭证号\(VOUCHER NO\.\): \d{6}/);
    await slipShows(page, /日期\/时间\(DATE\/TIME\): \d\d\/\d\d \d\d:\d\d:\d\d/);
    await screenShows(page, '撕下商户联');
    await shot(page, 'terminal-sale-slip');
    await tap(page, 'enter');
    await slipShows(page, '持卡人存根');
    await tap(page, 'enter');
    await page.locator('.screen-body .menu').waitFor();
  });

  it('refunds (退货): refund password, original reference, an amount within what is refundable, a REFUND slip, then its progress', async () => {
    const sale = await t.s.h.sale(10_000);
    const { page } = t.b;
    await signOn(page, t.s.base, '01', '4826');
    await tap(page, '3');
    await screenShows(page, '请输入退款密码');
    await tap(page, REFUND_PASSWORD, 'enter');
    await screenShows(page, '请输入原交易参考号');
    await tap(page, String(sale.reference), 'enter');
    await screenShows(page, '可退金额 ¥100.00');
    await tap(page, '2500');
    await screenShows(page, '¥25.00');
    await shot(page, 'terminal-refund-amount');
    await tap(page, 'enter');
    await screenShows(page, '退货已受理');
    await slipShows(page, '退货(REFUND)');
    await shot(page, 'terminal-refund-slip');
    await tap(page, 'enter', 'enter', '4', '3', String(sale.reference), 'enter');
    await screenShows(page, '退款进度查询');
    await screenShows(page, '¥25.00 待收单机构审核');
  });

  it('voids (撤销) a sale of the open batch picked with ↓, another by its 凭证号, and refuses a settled one as 已结算, 请做退货', async () => {
    const open = await t.s.h.sale(2_000);
    const voucherOf = async (paymentId: string) => {
      const receipt = await t.s.h.app.inject({
        method: 'GET',
        url: `/api/v1/payments/${paymentId}/receipt`,
        headers: await t.s.h.operator('cashier'),
      });
      return /凭证号\(VOUCHER NO\.\): (\d{6})/.exec(receipt.json().merchantCopy.join('\n'))?.[1] ?? '';
    };
    const { page } = t.b;
    await signOn(page, t.s.base, '01', '4826');
    await tap(page, '2', REFUND_PASSWORD, 'enter');
    // The pick list names each sale by its 凭证号, as the slip does.
    const openVoucher = await voucherOf(open.id);
    await screenShows(page, `${openVoucher} ¥20.00`);
    await tap(page, 'down');
    await page.locator('.menu li.is-selected').filter({ hasText: openVoucher }).waitFor();
    await shot(page, 'terminal-void-pick');
    await tap(page, 'enter');
    await screenShows(page, '按确认撤销此笔交易');
    await screenShows(page, String(open.reference));
    await tap(page, 'enter');
    await screenShows(page, '撤销成功');
    await slipShows(page, '撤销(VOID)');
    await tap(page, 'enter', 'enter');

    // By 凭证号: the number on the slip of a sale made elsewhere in this batch.
    const byVoucher = await t.s.h.sale(2_500);
    const voucher = await voucherOf(byVoucher.id);
    await page.locator('.screen-body .menu').waitFor();
    await tap(page, '2', REFUND_PASSWORD, 'enter');
    await screenShows(page, '请输入原凭证号或参考号');
    await tap(page, voucher);
    await shot(page, 'terminal-void-voucher');
    await tap(page, 'enter');
    await screenShows(page, String(byVoucher.reference));
    await tap(page, 'enter');
    await screenShows(page, '撤销成功');
    await slipShows(page, /凭证号\(VOUCHER NO\.\): \d{6}/);
    await slipShows(page, `原凭证号(ORIG VOUCHER): ${voucher}`);
    await tap(page, 'enter', 'enter');

    const settled = await t.s.h.sale(3_000, { settled: true });
    await page.locator('.screen-body .menu').waitFor();
    await tap(page, '2', REFUND_PASSWORD, 'enter');
    await screenShows(page, '请输入原凭证号或参考号');
    await tap(page, String(settled.reference), 'enter', 'enter');
    await screenShows(page, '已结算, 请做退货');
  });

  it('is driven by the keyboard alone: digits, Enter, Esc (back one step), Backspace, F1', async () => {
    const { page } = t.b;
    await page.goto(`${t.s.base}/terminal/T-0001`);
    await screenShows(page, '欢迎使用');
    const kb = page.keyboard;
    await kb.press('F1');
    await screenShows(page, '请输入操作员号');
    await kb.type('09');
    await kb.press('Backspace');
    await kb.type('1');
    await kb.press('Enter');
    await screenShows(page, '请输入密码');
    await kb.press('Escape');
    await screenShows(page, '请输入操作员号');
    await kb.press('Enter');
    await kb.type('4826');
    await kb.press('Enter');
    await screenShows(page, '1 消费');
    await kb.press('1');
    await kb.type('888');
    await screenShows(page, '¥8.88');
    await kb.press('Enter');
    await screenShows(page, '请刷卡');
    await kb.press('Escape');
    await screenShows(page, '¥8.88');
    await kb.press('Enter');
    await kb.press('ArrowDown');
    await kb.press('Enter');
    await screenShows(page, '交易成功');
    await slipShows(page, 'UnionPay');
    await kb.press('Enter');
    await kb.press('Enter');
    await screenShows(page, '1 消费');
  });

  it('queries the last transaction, one by 参考号 or 凭证号 and the batch summary, reprints the last slip and one by 凭证号 stamped 重打印凭证, and goes back to idle after 60 s alone', async () => {
    const { page } = t.b;
    await page.clock.install();
    await signOn(page, t.s.base, '01', '4826');
    await tap(page, '1', '500', 'enter', '1');
    await screenShows(page, '交易成功');
    const reference = /参考号 (\d{12})/.exec(await screenText(page))?.[1] ?? '';
    const voucher = await slipVoucher(page);
    await tap(page, 'enter', 'enter');
    await tap(page, '4', '1');
    await screenShows(page, '最后一笔交易');
    await screenShows(page, reference);
    await screenShows(page, '¥5.00 成功');
    await tap(page, 'enter', '2', '000000000000', 'enter');
    await screenShows(page, '原交易不存在');
    await tap(page, 'enter', '2', reference, 'enter');
    await screenShows(page, reference);
    await tap(page, 'enter', '2', voucher, 'enter');
    await screenShows(page, reference);
    await tap(page, 'enter', '4');
    await screenShows(page, '汇总');
    await screenShows(page, /批次号 \d{6}/);
    await screenShows(page, /退货 \d+ 笔/);
    await shot(page, 'terminal-query-summary');
    await tap(page, 'enter', 'cancel', '6');
    await screenShows(page, '1 重打最后一笔');
    await shot(page, 'terminal-print-menu');
    await tap(page, '1');
    await slipShows(page, '重打印凭证');
    await slipShows(page, `凭证号(VOUCHER NO.): ${voucher}`);
    await tap(page, 'enter', '6', '2');
    await screenShows(page, '请输入凭证号');
    await tap(page, voucher, 'enter');
    await slipShows(page, '商户存根');
    await slipShows(page, '重打印凭证');
    await slipShows(page, `凭证号(VOUCHER NO.): ${voucher}`);
    await tap(page, 'enter', '1', '777');
    await screenShows(page, '¥7.77');
    await page.clock.runFor(59_000);
    expect(await screenText(page)).toContain('¥7.77');
    await page.clock.runFor(1_500);
    await screenShows(page, '1 消费');
  });

  it('looks a reference up at its own terminal only: a T-0002 operator is told the T-0001 sale does not exist', async () => {
    const sale = await t.s.h.sale(1_100);
    const { page } = t.b;
    await signOn(page, t.s.base, '01', '3391', 'T-0002');
    await tap(page, '4', '2', String(sale.reference), 'enter');
    await screenShows(page, '原交易不存在');
    await signOn(page, t.s.base, '01', '4826');
    await tap(page, '4', '2', String(sale.reference), 'enter');
    await screenShows(page, String(sale.reference));
    await screenShows(page, '¥11.00');
  });

  it('settles the open batch (supervisor): its totals with voids and refunds, confirmed, printed, signed off', async () => {
    const h = t.s.h;
    // Whatever the tests above left open is settled first: this batch holds only what follows.
    const supervisor = await h.operator('supervisor');
    await h.app.inject({ method: 'POST', url: `/api/v1/terminals/${h.ids.terminalId}/settle`, headers: supervisor });
    const sale = await h.sale(4_000);
    const voided = await h.sale(600);
    const refund = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: sale.id, amount: 1_500, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    expect(refund.statusCode, refund.body).toBe(201);
    const voidIt = await h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${voided.id}/void`,
      headers: supervisor,
      payload: { refundPassword: REFUND_PASSWORD },
    });
    expect(voidIt.statusCode, voidIt.body).toBe(200);
    const { page } = t.b;
    await signOn(page, t.s.base, '00', '519370');
    await tap(page, '5');
    await screenShows(page, '确认结算当前批次');
    for (const line of ['消费 2 笔 ¥46.00', '撤销 1 笔 ¥6.00', '退货 1 笔 ¥15.00', '净额 ¥25.00']) {
      await screenShows(page, line);
    }
    await shot(page, 'terminal-settle');
    await tap(page, 'enter');
    await screenShows(page, '结算完成, 已签退');
    await slipShows(page, 'POS结算总计单');
    await slipShows(page, /终端编号\(TERMINAL NO\.\): \d{8}/);
    await slipShows(page, '操作员号(OPERATOR NO.): 00');
    await slipShows(page, /批次号\(BATCH NO\.\): \d{6}/);
    await slipShows(page, '退货(REFUND): 1 笔(TXN) RMB -15.00');
    await slipShows(page, '净额(NET): RMB 25.00');
    await shot(page, 'terminal-settled');
    await tap(page, 'enter');
    await screenShows(page, '按确认键签到');

    // 打印 on a fresh browser: the settlement slip and a refund's own slip by its 凭证号 come from the server.
    const [refundEntry] = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/terminals/${h.ids.terminalId}/journal?kind=refund&limit=1`,
        headers: supervisor,
      })
    ).json().data;
    await page.reload();
    await signOn(page, t.s.base, '01', '4826');
    await tap(page, '6', '3');
    await slipShows(page, '重打印凭证');
    await slipShows(page, '净额(NET): RMB 25.00');
    await tap(page, 'enter', '6', '2', String(refundEntry.voucherNo).padStart(6, '0'), 'enter');
    await slipShows(page, '退货(REFUND)');
    await slipShows(page, /状态\(STATUS\): (待|处理中|退款)/);
    await shot(page, 'terminal-reprint-refund');
  });

  it('manages operators (柜员管理): adds 03, lists it, deletes it, and keeps the supervisor', async () => {
    const { page } = t.b;
    await signOn(page, t.s.base, '00', '519370');
    await tap(page, '7', '3');
    for (const item of ['1 主管改密', '2 增加', '3 删除', '4 查询', '5 操作员改密']) await screenShows(page, item);
    await shot(page, 'terminal-operators');
    await tap(page, '2', '03', 'enter', '4071', 'enter', '4072', 'enter');
    await screenShows(page, '两次密码输入不同');
    await tap(page, 'enter', '03', 'enter', '4071', 'enter', '4071');
    await screenShows(page, '请确认密码');
    await shot(page, 'terminal-operator-add');
    await tap(page, 'enter');
    await screenShows(page, '操作员 03 增加成功');
    await tap(page, 'enter', '4');
    await screenShows(page, '03 操作员');
    await screenShows(page, '00 主管');
    await shot(page, 'terminal-operator-list');
    await tap(page, 'enter', '3', '00', 'enter', 'enter');
    await screenShows(page, '主管和当前操作员不能删除');
    await tap(page, 'enter', '3', '03', 'enter');
    await screenShows(page, '按确认删除此操作员');
    await tap(page, 'enter');
    await screenShows(page, '操作员 03 删除成功');
    await tap(page, 'enter', '4');
    await screenShows(page, '00 主管');
    expect(await screenText(page)).not.toContain('03');
    // The deleted operator can no longer sign on.
    const login = await t.s.h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${t.s.h.ids.terminalId}/login`,
      payload: { operator: '03', password: '4071' },
    });
    expect(login.statusCode).toBe(401);
  });

  it('changes the refund password as the article says: current → new → confirm → 修改成功, 请重新登录 → sign-on', async () => {
    const { page } = t.b;
    await signOn(page, t.s.base, '00', '519370');
    await tap(page, '7');
    await screenShows(page, '1 修改退款密码');
    await tap(page, '1');
    await screenShows(page, '请输入原密码');
    await tap(page, '111111', 'enter', '386914', 'enter', '386914', 'enter');
    await screenShows(page, '退款密码错误');
    await tap(page, 'enter');
    await screenShows(page, '请输入原密码');
    await tap(page, REFUND_PASSWORD, 'enter');
    await screenShows(page, '请输入新密码');
    // The current one again is a reuse: refused in the server's words, and the walk starts over.
    await tap(page, REFUND_PASSWORD, 'enter', REFUND_PASSWORD, 'enter');
    await screenShows(page, '新密码近期用过');
    await tap(page, 'enter');
    await screenShows(page, '请输入原密码');
    await tap(page, REFUND_PASSWORD, 'enter');
    await screenShows(page, '请输入新密码');
    await tap(page, '386914', 'enter');
    await screenShows(page, '请确认新密码');
    await tap(page, '386914');
    await shot(page, 'terminal-change-password');
    await tap(page, 'enter');
    await screenShows(page, '修改成功, 请重新登录');
    await tap(page, 'enter');
    await screenShows(page, '请输入操作员号');
    // Every session ended: the old cashier token is refused, and the new password authorises.
    t.s.h.forgetTokens();
    const sale = await t.s.h.sale(1_000);
    const withOld = await t.s.h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${sale.id}/void`,
      headers: await t.s.h.operator('supervisor'),
      payload: { refundPassword: REFUND_PASSWORD },
    });
    expect(withOld.json().code, withOld.body).toBe('refund_password_invalid'); // the old one no longer authorises
    const r = await t.s.h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${sale.id}/void`,
      headers: await t.s.h.operator('supervisor'),
      payload: { refundPassword: '386914' },
    });
    expect(r.statusCode, r.body).toBe(200);
  });

  it('sets a forgotten refund password with the agent’s unlock code: challenge shown, code taken, new password twice', async () => {
    const h = t.s.h;
    const { page } = t.b;
    await signOn(page, t.s.base, '00', '519370');
    await tap(page, '7', '4');
    await screenShows(page, '1 代理商解锁');
    await shot(page, 'terminal-forgot');
    await tap(page, '1');
    await screenShows(page, '请将挑战码告知代理商');
    const challenge = ((await page.locator('.screen-body .screen-value').textContent()) ?? '').replace(/\s/g, '');
    expect(challenge).toMatch(/^\d{10}$/);
    await shot(page, 'terminal-forgot-challenge');
    // The agent's console turns the challenge into the unlock code (agent login, agent API).
    const issued = await h.app.inject({
      method: 'POST',
      url: '/api/v1/agent/unlock-codes',
      headers: await h.login('agent'),
      payload: { terminalId: h.ids.terminalId, challenge },
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const { unlockCode } = issued.json();
    await tap(page, 'enter');
    await screenShows(page, '请输入 8 位解锁码');
    await tap(page, unlockCode);
    await shot(page, 'terminal-forgot-code');
    await tap(page, 'enter', '527193', 'enter', '527193', 'enter');
    await screenShows(page, '修改成功, 请重新登录');
    await tap(page, 'enter');
    await screenShows(page, '请输入操作员号');
    h.forgetTokens();
    const sale = await h.sale(1_000);
    const r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${sale.id}/void`,
      headers: await h.operator('supervisor'),
      payload: { refundPassword: '527193' },
    });
    expect(r.statusCode, r.body).toBe(200);
  });
});
