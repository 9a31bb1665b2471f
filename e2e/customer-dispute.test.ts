import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG, sha256 } from '../src/disputes/dispute.http-fixtures.js';
import { REFUND_PASSWORD } from '../test/support/harness.js';
import { startSmtp, type TestSmtp } from '../test/support/smtp.js';
import { criticalViolations } from './support/axe.js';
import { haveChromium, shot } from './support/browser.js';
import { browserSuite } from './support/suite.js';

const EMAIL = 'han.meimei@example.cn';

/**
 * The customer's tracking page past the refund: the link from the real e-mail opens it in the
 * language of the request; a declined refund is disputed, negotiated, escalated, ruled on,
 * accepted and rated from the page. Every view: screenshots in both languages, axe-core clean.
 */
describe.skipIf(!haveChromium())('the customer’s dispute, from the tracking page', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(() => smtp?.close());
  const t = browserSuite('sqlite', () => ({ smtpUrl: smtp.url }));

  /** Until the page speaks `lang`, the parts the server words (`data-lang`) included. */
  async function inLanguage(page: Page, lang: string) {
    await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
    const other = `[data-lang]:not([data-lang="${lang}"])`;
    await page.locator(`main${other}, main ${other}`).first().waitFor({ state: 'detached' });
  }

  async function switchTo(page: Page, lang: string) {
    await page.locator(`.lang-switch button[lang="${lang}"]`).click();
    await inLanguage(page, lang);
  }

  /** Shoots the page and runs axe-core on it in its language, then in the other; then switches back. */
  async function views(page: Page, name: string) {
    const first = await page.evaluate<string>('document.documentElement.lang');
    const other = first === 'en' ? 'zh-CN' : 'en';
    await inLanguage(page, first);
    await shot(page, name);
    expect(await criticalViolations(page), `${name} (${first})`).toEqual([]);
    await switchTo(page, other);
    await shot(page, name);
    expect(await criticalViolations(page), `${name} (${other})`).toEqual([]);
    await switchTo(page, first);
  }

  async function request(language: 'zh-CN' | 'en', amount = 5_000) {
    const sale = await t.s.h.sale(10_000, { settled: true });
    const r = await t.s.h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      payload: {
        paymentReference: sale.reference,
        cardLast4: '1111',
        amount,
        reason: 'goods_returned',
        description: '鞋码不合适, 已寄回',
        contact: { email: EMAIL },
        language,
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as { id: string; trackingSecret: string; trackingUrl: string };
  }

  it('opens the link from the real e-mail in the language of the request, and keeps the secret out of every URL', async () => {
    const { page } = t.b;
    const sale = await t.s.h.sale(9_000, { settled: true });
    // The page is in Chinese (the browser's language); the customer asks for messages in English.
    await page.goto(`${t.s.base}/refund`);
    await page.getByRole('heading', { name: '申请退款' }).waitFor();
    await page.locator('input[name="reference"]').fill(String(sale.reference));
    await page.locator('input[name="last4"]').fill('1111');
    await page.locator('input[name="amount"]').fill('30');
    await page.locator('textarea[name="description"]').fill('颜色与图片不符');
    await page.locator('input[name="email"]').fill(EMAIL);
    await page.locator('select[name="language"]').selectOption('en');
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByRole('heading', { name: '申请已提交' }).waitFor();
    const id = (await page.getByTestId('refund-id').textContent()) ?? '';
    const secret = (await page.getByTestId('tracking-secret').textContent()) ?? '';
    const shown = (await page.getByTestId('tracking-url').textContent()) ?? '';
    expect(shown).toBe(`${t.s.base}/refund/track/${id}?lang=en#${secret}`);

    while ((await t.s.h.drain()) > 0) {}
    const mail = smtp.to(EMAIL).find((m) => m.text?.includes(id));
    expect(mail?.subject).toBe('Refund request received');
    const link = /https?:\/\/\S+#\S+/.exec(mail?.text ?? '')?.[0] ?? '';
    expect(link).toBe(shown);
    const outbox = await t.s.h.db.kysely
      .selectFrom('notifications')
      .select('body')
      .where('body', 'like', `%${id}%`)
      .where('template', '=', 'refund_requested')
      .executeTakeFirstOrThrow();
    expect(outbox.body).toContain(`/refund/track/${id}?lang=en#******`);
    expect(outbox.body).not.toContain(secret);

    await page.goto(link);
    await page.getByRole('heading', { name: 'Your refund' }).waitFor();
    await page.locator('main[data-lang="en"] .status[data-status="pending_merchant"]').waitFor();
    expect(await page.locator('.status').textContent()).toContain('waiting for the merchant’s review');
    expect(await page.locator('.next').textContent()).toMatch(/The merchant reviews it by the deadline.*\(by /);
    // Read once, the secret leaves the address bar (and the history); a reload still tracks.
    expect(new URL(page.url()).hash).toBe('');
    expect(new URL(page.url()).search).toBe('');
    await page.reload();
    await page.locator('.status[data-status="pending_merchant"]').waitFor();
    await views(page, 'refund-track-from-email');
    // A later message's link has no secret: a new tab asks for it.
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${t.s.base}/refund/track/${id}?lang=en`);
    await page.getByLabel('Enter your tracking secret').fill(secret);
    await page.getByRole('button', { name: 'Track', exact: true }).click();
    await page.locator('.status[data-status="pending_merchant"]').waitFor();
    const leaking = t.b.requests.filter((u) => u.includes(secret) || u.includes(encodeURIComponent(secret)));
    expect(leaking).toEqual([]);
  });

  it('disputes a declined refund: messages with the merchant, escalation, the ruling, accepted and rated', async () => {
    const { page } = t.b;
    const { id, trackingSecret, trackingUrl } = await request('zh-CN');
    const owner = await t.s.h.login('owner');
    const rejected = await t.s.h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${id}/merchant-decision`,
      headers: owner,
      payload: { decision: 'reject', reason: '商品已使用, 不符合退货条件', refundPassword: REFUND_PASSWORD },
    });
    expect(rejected.statusCode, rejected.body).toBe(200);

    await page.goto(trackingUrl);
    await page.locator('.status[data-status="rejected_by_merchant"]').waitFor();
    expect(await page.locator('main').textContent()).toContain('商品已使用, 不符合退货条件');
    await page.getByRole('heading', { name: '对处理结果有异议? 与商户协商' }).waitFor();
    await views(page, 'refund-track-declined');

    await page.locator('textarea[name="dispute-description"]').fill('鞋子只试穿过一次, 请求全额退款');
    await page.getByRole('button', { name: '发起协商' }).click();
    await page.locator('[data-dispute-status="negotiating"]').waitFor();
    await page.locator('textarea[name="message"]').fill('附上寄回单号 SF1234567890');
    await page.getByRole('button', { name: '发送', exact: true }).click();
    await page.locator('.message[data-party="customer"]').filter({ hasText: 'SF1234567890' }).waitFor();

    const disputeId = (
      await t.s.h.app.inject({
        method: 'GET',
        url: `/api/v1/public/refunds/${id}`,
        headers: { 'x-tracking-secret': trackingSecret },
      })
    ).json().disputeId as string;
    expect(disputeId).toMatch(/^dp_/);
    const replied = await t.s.h.app.inject({
      method: 'POST',
      url: `/api/v1/disputes/${disputeId}/messages`,
      headers: owner,
      payload: { body: '鞋底有明显磨损, 只能退一半' },
    });
    expect(replied.statusCode, replied.body).toBe(201);
    await page.getByRole('button', { name: '刷新协商' }).click();
    await page.locator('.message[data-party="merchant"]').filter({ hasText: '只能退一半' }).waitFor();
    // Declined by the merchant: the customer may escalate at once.
    expect(await page.locator('.dispute .next').textContent()).toContain('现在即可申请支付机构介入');
    await views(page, 'dispute-negotiating');

    await page.locator('textarea[name="escalate-reason"]').fill('商户不同意全额退款');
    await page.getByRole('button', { name: '申请介入' }).click();
    await page.locator('[data-dispute-status="escalated"]').waitFor();
    expect(await page.locator('.dispute .next').textContent()).toMatch(/支付机构将在 .+ 前作出裁决/);
    expect(await page.locator('.dispute').textContent()).toContain('商户不同意全额退款');
    expect(await page.locator('.card > .next').textContent()).toContain('您已发起协商');
    await views(page, 'dispute-escalated');

    const ruled = await t.s.h.app.inject({
      method: 'POST',
      url: `/api/v1/disputes/${disputeId}/decision`,
      headers: { ...(await t.s.h.login('reviewer')), 'idempotency-key': `ruling-${disputeId}` },
      payload: { outcome: 'resolved_for_merchant', ruling: '鞋底磨损照片属实, 商户拒绝退款合理' },
    });
    expect(ruled.statusCode, ruled.body).toBe(200);
    await page.getByRole('button', { name: '刷新协商' }).click();
    await page.locator('[data-dispute-status="resolved_for_merchant"]').waitFor();
    expect(await page.locator('.ruling').textContent()).toContain('鞋底磨损照片属实');
    await views(page, 'dispute-ruling');

    await page.getByRole('button', { name: '接受裁决, 结束协商' }).click();
    await page.locator('[data-dispute-status="closed"]').waitFor();
    await page.getByRole('group', { name: '请为本次处理评分' }).waitFor();
    await views(page, 'dispute-rate');
    await page
      .locator('.stars label')
      .filter({ has: page.getByRole('radio', { name: '4 星' }) })
      .click();
    await page.locator('textarea[name="comment"]').fill('处理及时');
    await page.getByRole('button', { name: '提交评价' }).click();
    await page.locator('.rated[data-score="4"]').waitFor();
    await views(page, 'dispute-rated');

    const leaking = t.b.requests.filter((u) => u.includes(trackingSecret));
    expect(leaking).toEqual([]);
  });

  it('shows a ruling for the customer with the refund it ordered, follows that refund to success, closes and rates (English)', async () => {
    const { page } = t.b;
    const { id, trackingSecret, trackingUrl } = await request('en', 4_000);
    const h = t.s.h;
    const call = async (url: string, payload: unknown, headers: Record<string, string> = {}) => {
      const r = await h.app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
      expect(r.statusCode, r.body).toBeLessThan(300);
      return r.json();
    };
    await call(
      `/api/v1/refunds/${id}/merchant-decision`,
      { decision: 'reject', reason: 'no receipt shown', refundPassword: REFUND_PASSWORD },
      await h.login('owner'),
    );
    const { id: disputeId } = await call('/api/v1/disputes', {
      refundId: id,
      trackingSecret,
      description: 'I have the receipt',
      language: 'en',
    });
    await call(`/api/v1/disputes/${disputeId}/escalate`, { trackingSecret, reason: 'the merchant will not look' });
    await call(
      `/api/v1/disputes/${disputeId}/decision`,
      { outcome: 'resolved_for_customer', ruling: 'The receipt is genuine: refund the customer.' },
      { ...(await h.login('reviewer')), 'idempotency-key': `ruling-${disputeId}` },
    );

    // The ruling ordered its refund at once; it is on its way (the worker has not sent it yet).
    await page.goto(trackingUrl);
    await page.locator('[data-dispute-status="resolved_for_customer"]').waitFor();
    expect(await page.locator('.ruling').textContent()).toContain('For you: a refund is ordered · ¥40.00');
    const ordered = page.locator('.ordered-refund');
    await ordered.locator('.status[data-status="processing"]').waitFor();
    expect(await ordered.textContent()).toContain('Approved; the refund is being sent · ¥40.00');
    expect(await ordered.locator('.timeline li').allTextContents()).toEqual([
      expect.stringContaining('With the payment institution for review'),
      expect.stringContaining('Approved; the refund is being sent'),
    ]);
    // Not closable before the money is sent.
    expect(await page.getByRole('button', { name: 'I received the refund: close' }).count()).toBe(0);
    await views(page, 'dispute-ordered-refund-processing');
    expect(await ordered.textContent()).toContain('Approved; the refund is being sent');

    while ((await h.drain()) > 0) {}
    await page.getByRole('button', { name: 'Refresh dispute' }).click();
    await ordered.locator('.status[data-status="succeeded"]').waitFor();
    expect(await ordered.textContent()).toContain('Refund succeeded · ¥40.00');
    expect(await ordered.textContent()).toMatch(/Trace no\.: \S+/);
    expect(await ordered.locator('.next').textContent()).toMatch(/reaches your card.*\(by /);
    await views(page, 'dispute-ordered-refund-succeeded');
    await page.getByRole('button', { name: 'I received the refund: close' }).click();
    await page.locator('[data-dispute-status="closed"]').waitFor();
    expect(await page.locator('.dispute > .status').textContent()).toContain('refunded');
    await page
      .locator('.stars label')
      .filter({ has: page.getByRole('radio', { name: '5 stars' }) })
      .click();
    await page.getByRole('button', { name: 'Send rating' }).click();
    await page.locator('.rated[data-score="5"]').waitFor();
    await views(page, 'dispute-settled-rated');
  });

  it('disputes a payment with no refund from the receipt, follows the e-mailed link, and sends a photo as evidence', async () => {
    const { page } = t.b;
    const h = t.s.h;
    const sale = await h.sale(8_800, { settled: true });
    await page.goto(`${t.s.base}/refund`);
    await page.getByRole('link', { name: '直接发起争议' }).click();
    await page.getByRole('heading', { name: '对交易发起争议' }).waitFor();
    await page.locator('input[name="reference"]').fill(String(sale.reference));
    await page.locator('input[name="last4"]').fill('1111');
    await page.locator('select[name="reason"]').selectOption('duplicate');
    await page.locator('textarea[name="description"]').fill('同一杯咖啡被扣了两次款, 商户不予处理');
    await page.locator('input[name="email"]').fill(EMAIL);
    await views(page, 'payment-dispute-form');
    await page.getByRole('button', { name: '发起争议' }).click();
    await page.getByRole('heading', { name: '争议已受理' }).waitFor();
    const id = (await page.getByTestId('dispute-id').textContent()) ?? '';
    const secret = (await page.getByTestId('access-secret').textContent()) ?? '';
    const shown = (await page.getByTestId('dispute-url').textContent()) ?? '';
    expect(shown).toBe(`${t.s.base}/refund/dispute/${id}?lang=zh-CN#${secret}`);
    await views(page, 'payment-dispute-opened');

    // The e-mail carries the same link; the page reads the secret from its fragment, then drops it.
    while ((await h.drain()) > 0) {}
    const mail = smtp.to(EMAIL).find((m) => m.text?.includes(id));
    expect(mail?.subject).toBe('争议已受理');
    expect(/https?:\/\/\S+#\S+/.exec(mail?.text ?? '')?.[0]).toBe(shown);
    await page.goto(shown);
    await page.getByRole('heading', { name: '您的争议' }).waitFor();
    await page.locator('[data-dispute-status="negotiating"]').waitFor();
    expect(new URL(page.url()).hash).toBe('');

    // A file over the API's 1 MB is refused in words before any upload; a photo goes with a message.
    const files = page.locator('input[name="attachments"]');
    await files.setInputFiles({ name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(1024 * 1024 + 1) });
    await page.getByRole('alert').filter({ hasText: 'scan.pdf 超过 1 MB' }).waitFor();
    await files.setInputFiles({ name: '小票.png', mimeType: 'image/png', buffer: PNG });
    await page.getByRole('list', { name: '待发送的附件' }).getByText('小票.png').waitFor();
    await page.locator('textarea[name="message"]').fill('附上两笔扣款的小票照片');
    await page.getByRole('button', { name: '发送', exact: true }).click();
    const sent = page.locator('.message[data-party="customer"] [data-attachment="小票.png"]');
    await sent.waitFor();
    expect(await page.getByRole('list', { name: '待发送的附件' }).count()).toBe(0);
    await views(page, 'dispute-attachment');

    // The customer downloads it again (the secret in a header), and the merchant sees the same bytes.
    const [download] = await Promise.all([page.waitForEvent('download'), sent.getByRole('button').click()]);
    expect(download.suggestedFilename()).toBe('小票.png');
    expect(sha256(readFileSync((await download.path()) as string))).toBe(sha256(PNG));
    const asMerchant = await h.app.inject({
      method: 'GET',
      url: `/api/v1/disputes/${id}`,
      headers: await h.login('owner'),
    });
    expect(asMerchant.json().messages[0].attachments).toEqual([
      expect.objectContaining({ filename: '小票.png', contentType: 'image/png', sha256: sha256(PNG) }),
    ]);
    const leaking = t.b.requests.filter((u) => u.includes(secret) || u.includes(encodeURIComponent(secret)));
    expect(leaking).toEqual([]);
  });
});
