import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { pdfText } from '../../test/support/pdf.js';
import { refundPolicyBody } from '../../test/support/refund-policy.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import { DAY } from '../clock.js';
import { listOutbox } from '../notifications/notification.service.js';
import { canonicalJson } from './case-file.js';
import { type Body, disputeRequests, PNG, sha256 } from './dispute.http-fixtures.js';

describe.each(engines())('disputes over HTTP: the journey (%s)', (engine) => {
  let h: Harness;
  const { nextIp, rejectedDispute, paymentDispute, get, post } = disputeRequests(() => h);

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('takes a rejected refund through negotiation, escalation, a ruling and a referral to a case file whose PDF and JSON agree', async () => {
    const ip = nextIp();
    const { disputeId: id, secret, refundId, sale } = await rejectedDispute(ip);
    const owner = await h.login('owner');
    const reviewer = await h.login('reviewer');

    let r = await get(id, { secret, ip });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'negotiating', refundId, paymentId: sale.id, reason: 'goods_returned' });
    expect(r.json().customer.email).toBe('li.lei@example.cn');

    r = await post(
      id,
      'messages',
      {
        secret,
        body: 'Here is a photo: the sole came off after one day.',
        attachments: [{ filename: 'sole.png', contentType: 'image/png', dataBase64: PNG.toString('base64') }],
      },
      { ip },
    );
    expect(r.statusCode, r.body).toBe(201);
    const attachment = r.json().messages[0].attachments[0];
    expect(attachment).toMatchObject({
      filename: 'sole.png',
      contentType: 'image/png',
      size: PNG.length,
      sha256: sha256(PNG),
    });

    r = await post(id, 'messages', { body: '请把鞋寄回，我们检查后答复。' }, { headers: owner });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().messages.map((m: Body) => m.party)).toEqual(['customer', 'merchant']);

    const file = await h.app.inject({
      method: 'GET',
      url: `/api/v1/disputes/${id}/attachments/${attachment.id}?secret=${encodeURIComponent(secret)}`,
      remoteAddress: ip,
    });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.rawPayload.equals(PNG)).toBe(true);

    // The merchant rejected the refund: the customer may escalate at once.
    r = await post(id, 'escalate', { trackingSecret: secret, reason: 'The merchant will not answer.' }, { ip });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().status).toBe('escalated');
    expect(r.json().escalation.mediationDueAt).toBe(new Date(h.clock.now().getTime() + 10 * DAY).toISOString());

    r = await post(id, 'messages', { body: 'The acquirer asks both sides for the receipt.' }, { headers: reviewer });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().messages.at(-1).party).toBe('acquirer');

    r = await post(
      id,
      'decision',
      { outcome: 'resolved_for_merchant', ruling: 'The wear shows use beyond a day.' },
      { headers: reviewer },
    );
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().refundId).toBeNull();
    expect(r.json().dispute.ruling).toMatchObject({
      outcome: 'resolved_for_merchant',
      by: expect.stringMatching(/^usr_/),
    });

    // The thread is closed after the ruling.
    r = await post(id, 'messages', { secret, body: 'one more thing' }, { ip });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('invalid_transition');

    r = await post(id, 'refer', { secret, reason: 'I take it to the consumer arbitration commission.' }, { ip });
    expect(r.statusCode, r.body).toBe(201);
    const referral = r.json();
    expect(referral.dispute.status).toBe('referred');
    expect(referral.shareLink.url).toBe(`/api/v1/public/case-files/${referral.shareLink.token}`);
    expect(referral.shareLink.expiresAt).toBe(new Date(h.clock.now().getTime() + 30 * DAY).toISOString());

    // The third party's copy: JSON whose hash is its canonical content's, and a PDF showing it.
    const json = await h.app.inject({ method: 'GET', url: referral.shareLink.url, remoteAddress: ip });
    expect(json.statusCode, json.body).toBe(200);
    const cf = json.json();
    expect(cf.sha256).toBe(referral.caseFile.sha256);
    expect(sha256(canonicalJson(cf.content))).toBe(cf.sha256);
    const c = cf.content;
    expect(c.payment).toMatchObject({ id: sale.id, amount: 10_000, card: { bin: '411111', last4: '1111' } });
    expect(Object.keys(c.payment.card).sort()).toEqual(['bin', 'brand', 'last4']);
    expect(c.refunds).toHaveLength(1);
    expect(c.refunds[0]).toMatchObject({ id: refundId, amount: 6_000, status: 'rejected_by_merchant' });
    expect(c.refunds[0].timeline.map((e: Body) => e.to)).toEqual(['pending_merchant', 'rejected_by_merchant']);
    expect(c.messages).toHaveLength(3);
    expect(c.messages[0].attachments[0]).toEqual({
      id: attachment.id,
      filename: 'sole.png',
      contentType: 'image/png',
      size: PNG.length,
      sha256: sha256(PNG),
    });
    expect(c.rulings).toEqual([expect.objectContaining({ outcome: 'resolved_for_merchant', currency: 'CNY' })]);
    expect(c.refundPolicy).toMatchObject({ merchantId: h.ids.merchantId, windowDays: expect.any(Number) });
    expect(c.dispute.referral).toMatchObject({ by: { kind: 'customer', id: null } });
    expect(c.dispute.customer.email).toBe('l***@example.cn');
    const actions = c.auditEvents.map((e: Body) => `${e.objectId === id ? 'dispute' : e.objectType}:${e.action}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'payment:payment.created',
        'refund:refund.created',
        'refund:refund.status_changed',
        'dispute:dispute.opened',
        'dispute:dispute.message_posted',
        'dispute:dispute.escalated',
        'dispute:dispute.ruled',
      ]),
    );
    expect(json.body).not.toContain(secret);

    const pdf = await h.app.inject({ method: 'GET', url: `${referral.shareLink.url}?format=pdf`, remoteAddress: ip });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const text = await pdfText(pdf.rawPayload);
    expect(text).toContain(cf.sha256);
    expect(text).toContain('请把鞋寄回'); // the font that comes with npm install, on any machine
    expect(text).toContain('100.00 CNY (10000 minor units)');
    expect(text).toContain('60.00 CNY (6000 minor units)');
    expect(text).toContain(`Refund ${refundId}`);
    expect(text).toContain(`SHA-256 ${sha256(PNG)}`);

    // The merchant and the acquirer read the live file at any stage; a third party's read is audited.
    for (const headers of [owner, reviewer]) {
      const live = await h.app.inject({ method: 'GET', url: `/api/v1/disputes/${id}/case-file`, headers });
      expect(live.statusCode, live.body).toBe(200);
      expect(sha256(canonicalJson(live.json().content))).toBe(live.json().sha256);
      expect(live.json().content.auditEvents.map((e: Body) => e.action)).toContain('dispute.case_file_shared_read');
    }
    const livePdf = await h.app.inject({
      method: 'GET',
      url: `/api/v1/disputes/${id}/case-file?format=pdf`,
      headers: owner,
    });
    expect(livePdf.statusCode).toBe(200);
    expect(await pdfText(livePdf.rawPayload)).toContain('60.00 CNY (6000 minor units)');

    r = await post(
      id,
      'close',
      { outcome: 'concluded', note: 'The commission found for the merchant.' },
      { headers: owner },
    );
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'closed', outcome: 'concluded' });

    r = await post(id, 'rating', { secret, score: 2, comment: 'slow' }, { ip });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().rating).toMatchObject({ score: 2, comment: 'slow' });
    r = await post(id, 'rating', { secret, score: 5 }, { ip });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('dispute_already_rated');

    // Invariant 3: each change has its event row and its audit event; both sides were told.
    const view = (await get(id, { headers: owner })).json();
    expect(view.events.map((e: Body) => `${e.kind}:${e.from}→${e.to}`)).toEqual([
      'transition:null→negotiating',
      'transition:negotiating→escalated',
      'transition:escalated→resolved_for_merchant',
      'transition:resolved_for_merchant→referred',
      'transition:referred→closed',
      'rated:null→closed',
    ]);
    const audit = await listAuditEvents(h.db, h.ctx, systemActor, {
      merchantId: h.ids.merchantId,
      objectId: id,
      limit: 100,
    });
    expect(audit.data.map((e) => e.action).reverse()).toEqual([
      'dispute.opened',
      'dispute.message_posted',
      'dispute.message_posted',
      'dispute.escalated',
      'dispute.message_posted',
      'dispute.ruled',
      'dispute.referred',
      'dispute.case_file_shared_read',
      'dispute.case_file_shared_read',
      'dispute.closed',
      'dispute.rated',
    ]);
    const outbox = (await listOutbox(h.db.kysely, { limit: 500, merchantId: h.ids.merchantId })).filter(
      (n) => n.dedupeKey.startsWith('dispute:') && n.body.includes(id),
    );
    const told = (to: string) => [...new Set(outbox.filter((n) => n.recipient === to).map((n) => n.template))].sort();
    const steps = ['dispute_closed', 'dispute_escalated', 'dispute_message', 'dispute_referred', 'dispute_resolved'];
    expect(told('li.lei@example.cn')).toEqual(['dispute_opened_customer', ...steps].sort());
    expect(told('owner@merchant.demo')).toEqual(['dispute_opened_merchant', ...steps].sort());
  });

  it('puts the refund policy in force when the refund was asked for in the case file, and audits each change', async () => {
    const owner = await h.login('owner');
    const policy = (over: Body) =>
      h.app.inject({
        method: 'PUT',
        url: `/api/v1/merchants/${h.ids.merchantId}/refund-policy`,
        headers: owner,
        payload: refundPolicyBody(over),
      });
    expect((await policy({ windowDays: 90 })).statusCode).toBe(200);
    h.clock.advance(1_000);
    const { disputeId } = await rejectedDispute(nextIp());
    h.clock.advance(1_000);
    expect((await policy({ windowDays: 30 })).statusCode).toBe(200);
    const file = await h.app.inject({ method: 'GET', url: `/api/v1/disputes/${disputeId}/case-file`, headers: owner });
    expect(file.statusCode, file.body).toBe(200);
    expect(file.json().content.refundPolicy).toMatchObject({ windowDays: 90, merchantId: h.ids.merchantId });
    const audit = await h.app.inject({
      method: 'GET',
      url: `/api/v1/audit-events?action=refund_policy.updated&objectId=${h.ids.merchantId}`,
      headers: owner,
    });
    expect(audit.json().data.map((e: { details: Body }) => e.details.windowDays)).toEqual([30, 90]);
    expect((await policy({})).statusCode).toBe(200); // the defaults again, for the tests that follow
  });

  it('refuses escalation before the negotiation period when the merchant has not rejected, then allows it', async () => {
    const ip = nextIp();
    const { disputeId: id, secret } = await paymentDispute(ip);
    expect(secret).toMatch(/^rdx_/);
    let r = await post(id, 'escalate', { secret, reason: 'no answer' }, { ip });
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json()).toMatchObject({
      code: 'dispute_escalation_too_early',
      escalationAllowedAt: new Date(h.clock.now().getTime() + 7 * DAY).toISOString(),
    });
    expect((await get(id, { secret, ip })).json().status).toBe('negotiating');
    h.clock.advance(7 * DAY - 1);
    r = await post(id, 'escalate', { secret, reason: 'no answer' }, { ip });
    expect(r.json().code).toBe('dispute_escalation_too_early');
    h.clock.advance(1);
    r = await post(id, 'escalate', { secret, reason: 'no answer' }, { ip });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().status).toBe('escalated');
    r = await post(id, 'escalate', { secret, reason: 'again' }, { ip });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'invalid_transition', disputeStatus: 'escalated' });
    h.forgetTokens();
  });

  it('records a missed mediation deadline and tells both sides', async () => {
    const ip = nextIp();
    const { disputeId: id, secret } = await rejectedDispute(ip);
    expect((await post(id, 'escalate', { secret, reason: 'rejected unfairly' }, { ip })).statusCode).toBe(200);
    await h.drain();
    expect((await get(id, { secret, ip })).json().events.map((e: Body) => e.kind)).not.toContain('mediation_overdue');
    h.clock.advance(10 * DAY + 1);
    await h.drain();
    const d = (await get(id, { secret, ip })).json();
    expect(d.status).toBe('escalated');
    expect(d.events.filter((e: Body) => e.kind === 'mediation_overdue')).toHaveLength(1);
    const outbox = await listOutbox(h.db.kysely, { limit: 500, merchantId: h.ids.merchantId });
    expect(outbox.filter((n) => n.template === 'dispute_mediation_overdue' && n.body.includes(id))).toHaveLength(2);
    h.forgetTokens();
  });
});
