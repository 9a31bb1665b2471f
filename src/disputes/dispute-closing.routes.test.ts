import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { DAY, HOUR } from '../clock.js';
import { type Body, disputeRequests, PNG, problemOf, sha256 } from './dispute.http-fixtures.js';

describe.each(engines())('disputes over HTTP: opening and closing (%s)', (engine) => {
  let h: Harness;
  const { nextIp, customerRefund, rejectRefund, openDispute, rejectedDispute, paymentDispute, get, post } =
    disputeRequests(() => h);

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('opens only on a rejected, failed or overdue refund, with the right secret, once per payment', async () => {
    const ip = nextIp();
    const c = await customerRefund(ip);
    let r = await openDispute(ip, { refundId: c.refundId, trackingSecret: c.secret, description: 'too early' });
    expect(r.statusCode).toBe(422);
    expect(r.json().code).toBe('dispute_not_allowed');
    r = await openDispute(ip, { refundId: c.refundId, trackingSecret: 'wrong-secret', description: 'x' });
    expect(r.statusCode).toBe(404);
    // Past the merchant's 48 hours and still pending: stuck, so disputable.
    h.clock.advance(49 * HOUR);
    h.forgetTokens();
    r = await openDispute(ip, {
      refundId: c.refundId,
      trackingSecret: c.secret,
      description: 'no answer for two days',
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toEqual({
      id: expect.stringMatching(/^dp_/),
      status: 'negotiating',
      accessSecret: null,
      disputeUrl: null,
    });
    r = await openDispute(ip, { refundId: c.refundId, trackingSecret: c.secret, description: 'again' });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('dispute_already_open');
    r = await openDispute(ip, {
      paymentReference: c.sale.reference,
      cardLast4: '1111',
      description: 'the same payment',
      contact: { email: 'li.lei@example.cn' },
    });
    expect(r.json().code).toBe('dispute_already_open');

    const sale = await h.sale(3_000);
    const wrong = await openDispute(ip, {
      paymentReference: sale.reference,
      cardLast4: '0000',
      description: 'x',
      contact: { phone: '13800138000' },
    });
    const unknown = await openDispute(ip, {
      paymentReference: '000000000000',
      cardLast4: '1111',
      description: 'x',
      contact: { phone: '13800138000' },
    });
    expect(problemOf(wrong)).toEqual(problemOf(unknown));
    expect(wrong.json().code).toBe('payment_not_matched');
    r = await openDispute(ip, { paymentReference: sale.reference, cardLast4: '1111', description: 'no contact' });
    expect(r.statusCode).toBe(422);
    expect(r.json().code).toBe('contact_required');
  });

  it('lets the merchant settle a negotiating dispute with its own refund, and close it once that refund succeeded', async () => {
    const ip = nextIp();
    const { disputeId: id, secret, sale, refundId: rejected } = await rejectedDispute(ip);
    const supervisor = await h.operator('supervisor');
    let r = await post(id, 'close', { outcome: 'settled' }, { headers: await h.login('owner') });
    expect(r.json().code).toBe('dispute_not_settled'); // nothing refunded yet
    // The merchant changes its mind in the thread and refunds at the counter (the normal flow).
    r = await post(id, 'messages', { body: 'You are right: we refund you today.' }, { headers: supervisor });
    expect(r.statusCode, r.body).toBe(201);
    const refund = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: supervisor,
      payload: { paymentId: sale.id, amount: 6_000, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    expect(refund.statusCode, refund.body).toBe(201);
    await h.drain(); // the open dispute sends it to a reviewer
    const reviewer = await h.login('reviewer');
    r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${refund.json().id}/acquirer-decision`,
      headers: reviewer,
      payload: { decision: 'approve', reason: 'the merchant settled the dispute' },
    });
    expect(r.json().status, r.body).toBe('processing');
    r = await post(id, 'close', { secret, outcome: 'settled' }, { ip });
    expect(r.json().code).toBe('dispute_not_settled'); // processing is not yet money back
    await h.drain();
    r = await post(id, 'close', { secret, outcome: 'settled', note: 'money received' }, { ip });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'closed', outcome: 'settled' });
    const d = (await get(id, { secret, ip })).json();
    expect(d.refundId).toBe(rejected);
    h.forgetTokens();
  });

  it('closes as withdrawn by the customer only, and as accepted after a ruling for the merchant', async () => {
    const ip = nextIp();
    const owner = await h.login('owner');
    const hook = await h.app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: owner,
      payload: { url: 'http://127.0.0.1:9/hooks', events: ['*'] },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    const pd = await paymentDispute(ip);
    let r = await post(pd.disputeId, 'close', { outcome: 'withdrawn' }, { headers: owner });
    expect(r.statusCode).toBe(403);
    r = await post(pd.disputeId, 'close', { secret: pd.secret, outcome: 'accepted' }, { ip });
    expect(r.json()).toMatchObject({ code: 'invalid_transition', disputeStatus: 'negotiating' });
    r = await post(
      pd.disputeId,
      'close',
      { secret: pd.secret, outcome: 'withdrawn', note: 'sorted it out in the shop' },
      { ip },
    );
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'closed', outcome: 'withdrawn' });
    // Closed disputes do not block a new one on the same payment.
    r = await openDispute(ip, {
      paymentReference: pd.sale.reference,
      cardLast4: '1111',
      description: 'it happened again',
      contact: { email: 'han.meimei@example.cn' },
    });
    expect(r.statusCode, r.body).toBe(201);

    const rd = await rejectedDispute(ip);
    expect((await post(rd.disputeId, 'escalate', { secret: rd.secret, reason: 'x' }, { ip })).statusCode).toBe(200);
    r = await post(
      rd.disputeId,
      'decision',
      { outcome: 'resolved_for_merchant', ruling: 'fair' },
      { headers: await h.login('reviewer') },
    );
    expect(r.statusCode).toBe(200);
    expect((await post(rd.disputeId, 'close', { outcome: 'accepted' }, { headers: owner })).statusCode).toBe(403);
    r = await post(rd.disputeId, 'close', { secret: rd.secret, outcome: 'accepted' }, { ip });
    expect(r.json()).toMatchObject({ status: 'closed', outcome: 'accepted' });
    r = await post(rd.disputeId, 'refer', { secret: rd.secret }, { ip });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('invalid_transition');

    // The merchant's own systems hear of each step (ids and states only).
    const deliveries = await h.app.inject({
      method: 'GET',
      url: `/api/v1/webhook-endpoints/${hook.json().id}/deliveries?limit=100`,
      headers: owner,
    });
    const types = deliveries.json().data.map((d: Body) => d.eventType);
    for (const t of ['dispute.opened', 'dispute.escalated', 'dispute.resolved', 'dispute.closed'])
      expect(types).toContain(t);
    await h.app.inject({ method: 'DELETE', url: `/api/v1/webhook-endpoints/${hook.json().id}`, headers: owner });
  });

  it('lets one of two simultaneous opens through and answers the other dispute_already_open', async () => {
    const ip = nextIp();
    const c = await customerRefund(ip);
    await rejectRefund(c.refundId);
    const body = { refundId: c.refundId, trackingSecret: c.secret, description: 'twins' };
    // The first hit of a rate-limit bucket is made alone: this test is about the dispute's own guard
    // (two first hits racing on PostgreSQL are the rate limiter's matter).
    expect((await openDispute(ip, { ...body, trackingSecret: 'wrong' })).statusCode).toBe(404);
    const results = await Promise.all([openDispute(ip, body), openDispute(ip, body), openDispute(ip, body)]);
    expect(results.map((x) => x.statusCode).sort()).toEqual([201, 409, 409]);
    for (const x of results.filter((y) => y.statusCode === 409)) expect(x.json().code).toBe('dispute_already_open');
  });

  it('validates attachments: type, magic bytes, size, count; a refused message stores nothing', async () => {
    const ip = nextIp();
    const { disputeId: id, secret } = await rejectedDispute(ip);
    const send = (attachments: Body[]) => post(id, 'messages', { secret, body: 'evidence', attachments }, { ip });
    const file = (contentType: string, data: Buffer, filename = 'f') => ({
      filename,
      contentType,
      dataBase64: data.toString('base64'),
    });
    const cases: Array<[Body[], number, string]> = [
      [[file('text/html', Buffer.from('<script>alert(1)</script>'))], 422, 'attachment_type_not_allowed'],
      [[file('image/png', Buffer.from('GIF89a not a png'))], 422, 'attachment_content_mismatch'],
      [[file('application/pdf', PNG)], 422, 'attachment_content_mismatch'],
      [
        [file('image/jpeg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(1024 * 1024)]))],
        413,
        'attachment_too_large',
      ],
      [
        [file('image/png', PNG), file('image/png', PNG), file('image/png', PNG), file('image/png', PNG)],
        400,
        'validation_failed',
      ],
      [[file('image/png', PNG, '../../etc/passwd')], 422, 'attachment_type_not_allowed'],
      [[{ filename: 'a.png', contentType: 'image/png', dataBase64: '%%%not-base64%%%' }], 400, 'validation_failed'],
    ];
    for (const [attachments, status, code] of cases) {
      const r = await send(attachments);
      expect(r.statusCode, `${code}: ${r.body.slice(0, 200)}`).toBe(status);
      expect(r.json().code).toBe(code);
    }
    expect((await get(id, { secret, ip })).json().messages).toEqual([]);
    const ok = await send([
      file('image/png', PNG, '鞋底.png'),
      file('text/plain', Buffer.from('收据号 123'), 'receipt.txt'),
    ]);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().messages[0].attachments.map((a: Body) => a.filename)).toEqual(['鞋底.png', 'receipt.txt']);
  });

  it('lets the share link expire after 30 days', async () => {
    const ip = nextIp();
    const { disputeId: id, secret } = await rejectedDispute(ip);
    expect((await post(id, 'escalate', { secret, reason: 'x' }, { ip })).statusCode).toBe(200);
    const owner = await h.login('owner');
    const reviewer = await h.login('reviewer');
    expect(
      (await post(id, 'decision', { outcome: 'resolved_for_merchant', ruling: 'fair' }, { headers: reviewer }))
        .statusCode,
    ).toBe(200);
    // The merchant may refer too (the customer's right to refer is the same).
    const r = await post(id, 'refer', { reason: 'we want it settled for good' }, { headers: owner });
    expect(r.statusCode, r.body).toBe(201);
    const url = r.json().shareLink.url as string;
    h.clock.advance(30 * DAY - 1);
    expect((await h.app.inject({ method: 'GET', url, remoteAddress: ip })).statusCode).toBe(200);
    h.clock.advance(1);
    const gone = await h.app.inject({ method: 'GET', url, remoteAddress: ip });
    expect(gone.statusCode).toBe(410);
    expect(gone.json().code).toBe('share_link_expired');
    const unknown = await h.app.inject({ method: 'GET', url: `${url.slice(0, -4)}AAAA`, remoteAddress: ip });
    expect(unknown.statusCode).toBe(404);
    // The token is stored only as its SHA-256.
    const stored = await h.db.kysely
      .selectFrom('case_file_share_links')
      .selectAll()
      .where('dispute_id', '=', id)
      .execute();
    expect(stored[0].token_hash).toBe(sha256(url.split('/').at(-1) as string));
    expect(JSON.stringify(stored)).not.toContain(url.split('/').at(-1));
    h.forgetTokens();
  });
});
