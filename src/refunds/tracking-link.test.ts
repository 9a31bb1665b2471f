import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { startSmsGateway, type TestSmsGateway } from '../../test/support/sms-gateway.js';
import { startSmtp, type TestSmtp } from '../../test/support/smtp.js';

const BASE = 'https://refunds.example.cn/desk';
const EMAIL = 'han.meimei@example.cn';
const PHONE = '+8613800138000';

/**
 * The customer's tracking link (PUBLIC_BASE_URL/refund/track/<id>?lang=…#<secret>): in the answer
 * to the request and in the e-mail and SMS actually delivered (real SMTP server, real HTTP gateway),
 * masked like a code in the outbox; the page it opens speaks the language chosen in the request.
 */
describe.each(engines())('the tracking link (%s)', (engine) => {
  let h: Harness;
  let smtp: TestSmtp;
  let sms: TestSmsGateway;
  beforeAll(async () => {
    smtp = await startSmtp();
    sms = await startSmsGateway();
    h = await openHarness(engine, {
      smtpUrl: smtp.url,
      smsProviderUrl: sms.url,
      smsProviderKey: 'sk_test',
      publicBaseUrl: BASE,
    });
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
    await sms?.close();
  });

  /** A customer's request (keyed by the sale, so that sending it again is a retry). */
  async function send(sale: { id: string; reference?: unknown }, language?: 'en' | 'zh-CN', headers = {}) {
    return h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      headers: { 'idempotency-key': `k-${sale.id}`, ...headers },
      payload: {
        paymentReference: sale.reference,
        cardLast4: '1111',
        amount: 5_000,
        reason: 'goods_returned',
        description: 'wrong size, returned',
        contact: { email: EMAIL, phone: PHONE },
        ...(language ? { language } : {}),
      },
    });
  }

  async function ask(language: 'en' | 'zh-CN' | undefined, headers: Record<string, string> = {}) {
    const sale = await h.sale(8_000, { settled: true });
    const r = await send(sale, language, headers);
    expect(r.statusCode, r.body).toBe(201);
    return { sale, body: r.json() as { id: string; trackingSecret: string; trackingUrl: string } };
  }

  it('is in the answer, the e-mail and the SMS; its secret only in the fragment; the outbox shows it masked', async () => {
    const { sale, body } = await ask('en');
    const { id, trackingSecret, trackingUrl } = body;
    expect(trackingUrl).toBe(`${BASE}/refund/track/${id}?lang=en#${trackingSecret}`);
    const url = new URL(trackingUrl);
    expect(url.search).not.toContain(trackingSecret);
    expect(url.pathname).not.toContain(trackingSecret);

    while ((await h.drain()) > 0) {}
    const mail = smtp.to(EMAIL).find((m) => m.subject === 'Refund request received');
    expect(mail?.text).toContain(trackingUrl);
    const text = sms.to(PHONE).find((t) => t.includes(id));
    expect(text).toContain(trackingUrl);

    const stored = await h.ctx.db.kysely
      .selectFrom('notifications')
      .select(['body', 'render_data', 'status'])
      .where('template', '=', 'refund_requested')
      .where('body', 'like', `%${id}%`)
      .execute();
    expect(stored.map((n) => n.status).sort()).toEqual(['sent', 'sent']);
    for (const n of stored) {
      expect(n.body).toContain(`${BASE}/refund/track/${id}?lang=en#******`);
      expect(n.body).not.toContain(trackingSecret);
      expect(n.render_data).toBeNull(); // the sealed copy is dropped once sent
    }
    // A retry with the same Idempotency-Key answers the same link and sends nothing twice.
    const again = await send(sale, 'en');
    expect(again.json().trackingUrl).toBe(trackingUrl);
    while ((await h.drain()) > 0) {}
    expect(smtp.to(EMAIL).filter((m) => m.text?.includes(id) && m.subject === 'Refund request received')).toHaveLength(
      1,
    );
  });

  it('tracks in the language chosen in the request, or the one Accept-Language preferred when none was given', async () => {
    const en = (await ask('en')).body;
    const track = (id: string, secret: string, query = '') =>
      h.app.inject({
        method: 'GET',
        url: `/api/v1/public/refunds/${id}${query}`,
        headers: { 'x-tracking-secret': secret, 'accept-language': 'zh-CN' },
      });
    const v = (await track(en.id, en.trackingSecret)).json();
    expect(v.statusText).toBe('Request received; waiting for the merchant’s review');
    expect(v.next.text).toMatch(/^The merchant reviews it by the deadline/);
    expect(v.disputeId).toBeNull();
    expect(v.disputeAllowed).toBe(false); // within the merchant's review deadline
    h.clock.advance(72 * 3_600_000);
    h.forgetTokens(); // the sessions idled out meanwhile
    expect((await track(en.id, en.trackingSecret)).json().disputeAllowed).toBe(true); // left past it
    expect((await track(en.id, en.trackingSecret, '?lang=zh-CN')).json().statusText).toBe(
      '退款申请已提交，等待商户审核',
    );

    const byHeader = (await ask(undefined, { 'accept-language': 'en-GB,en;q=0.9' })).body;
    expect(byHeader.trackingUrl).toContain('?lang=en#');
    expect((await track(byHeader.id, byHeader.trackingSecret)).json().statusText).toMatch(/^Request received/);
    while ((await h.drain()) > 0) {}
    expect(smtp.to(EMAIL).find((m) => m.text?.includes(byHeader.id))?.subject).toBe('Refund request received');

    const zh = (await ask('zh-CN')).body;
    expect(zh.trackingUrl).toContain('?lang=zh-CN#');
    while ((await h.drain()) > 0) {}
    const mail = smtp.to(EMAIL).find((m) => m.text?.includes(zh.id));
    expect(mail?.subject).toBe('退款申请已受理');
    expect(mail?.text).toContain(zh.trackingUrl);
  });

  it('ends the later messages with the tracking page, without its secret', async () => {
    const { id } = (await ask('en')).body;
    const rejected = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${id}/merchant-decision`,
      headers: await h.login('owner'),
      payload: { decision: 'reject', reason: 'used goods', refundPassword: REFUND_PASSWORD },
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    while ((await h.drain()) > 0) {}
    const mail = smtp.to(EMAIL).find((m) => m.subject === 'Refund request declined' && m.text?.includes(id));
    expect(mail?.text).toContain(
      `Reason: used goods. You may open a dispute. Follow it: ${BASE}/refund/track/${id}?lang=en`,
    );
    expect(mail?.text).not.toContain('#');
    expect(sms.to(PHONE).find((t) => t.includes(`declined`) && t.includes(id))).toContain(
      `/refund/track/${id}?lang=en`,
    );
  });
});
