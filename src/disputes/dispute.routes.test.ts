import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { pdfText } from '../../test/support/pdf.js';
import { refundPolicyBody } from '../../test/support/refund-policy.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import * as users from '../auth/user.service.js';
import { DAY, HOUR } from '../clock.js';
import { transaction } from '../db/transaction.js';
import * as merchants from '../merchants/merchant.service.js';
import { listOutbox } from '../notifications/notification.service.js';
import { canonicalJson } from './case-file.js';

type Headers = Record<string, string>;
type Body = Record<string, unknown>;

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A problem without its request id, to compare two answers for sameness. */
function problemOf(r: LightMyRequestResponse): Body {
  const { requestId: _, ...rest } = r.json();
  return { status: r.statusCode, ...rest };
}

describe.each(engines())('disputes over HTTP (%s)', (engine) => {
  let h: Harness;
  let ipSeq = 0;
  /** Each test acts from its own address, so the public routes' rate limits never meet. */
  const nextIp = () => `198.51.100.${++ipSeq}`;

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  async function customerRefund(ip: string, amount = 6_000, saleAmount = 10_000) {
    const sale = await h.sale(saleAmount);
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      remoteAddress: ip,
      payload: {
        paymentReference: sale.reference,
        cardLast4: (sale.card as { last4: string }).last4,
        amount,
        reason: 'goods_returned',
        description: '鞋子开胶了 (the sole came off)',
        contact: { email: 'li.lei@example.cn' },
        language: 'en',
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    return { sale, refundId: r.json().id as string, secret: r.json().trackingSecret as string };
  }

  async function rejectRefund(refundId: string) {
    const r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${refundId}/merchant-decision`,
      headers: await h.login('owner'),
      payload: { decision: 'reject', reason: 'the shoes were worn' },
    });
    expect(r.statusCode, r.body).toBe(200);
  }

  const openDispute = (ip: string, payload: Body) =>
    h.app.inject({ method: 'POST', url: '/api/v1/disputes', remoteAddress: ip, payload });

  async function rejectedDispute(ip: string) {
    const c = await customerRefund(ip);
    await rejectRefund(c.refundId);
    const r = await openDispute(ip, {
      refundId: c.refundId,
      trackingSecret: c.secret,
      description: '我不同意商户的拒绝',
    });
    expect(r.statusCode, r.body).toBe(201);
    return { ...c, disputeId: r.json().id as string };
  }

  async function paymentDispute(ip: string, saleAmount = 10_000) {
    const sale = await h.sale(saleAmount);
    const r = await openDispute(ip, {
      paymentReference: sale.reference,
      cardLast4: (sale.card as { last4: string }).last4,
      description: 'charged twice for one coffee',
      reason: 'duplicate',
      contact: { phone: '13800138000' },
    });
    expect(r.statusCode, r.body).toBe(201);
    return { sale, disputeId: r.json().id as string, secret: r.json().accessSecret as string };
  }

  const get = (id: string, opts: { secret?: string; headers?: Headers; ip?: string } = {}) =>
    h.app.inject({
      method: 'GET',
      url: `/api/v1/disputes/${id}${opts.secret ? `?secret=${encodeURIComponent(opts.secret)}` : ''}`,
      headers: opts.headers,
      remoteAddress: opts.ip,
    });
  const post = (id: string, action: string, payload: Body, opts: { headers?: Headers; ip?: string } = {}) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/disputes/${id}/${action}`,
      headers: opts.headers,
      remoteAddress: opts.ip,
      payload,
    });

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

  it('releases a failed refund that still held its amount when a ruling orders a new one', async () => {
    const ip = nextIp();
    const owner = await h.login('owner');
    const sale = await h.sale(10_000, { card: '4000000000000127', settled: true }); // refunds to it fail
    const asked = await h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      remoteAddress: ip,
      payload: {
        paymentReference: sale.reference,
        cardLast4: (sale.card as { last4: string }).last4,
        amount: 8_000,
        reason: 'goods_returned',
        description: 'returned the whole order',
        contact: { email: 'li.lei@example.cn' },
      },
    });
    const { id: refundId, trackingSecret: secret } = asked.json();
    const approved = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${refundId}/merchant-decision`,
      headers: owner,
      payload: { decision: 'approve', refundPassword: REFUND_PASSWORD },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    await h.drain();
    const failed = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${refundId}`, headers: owner })).json();
    expect(failed).toMatchObject({ status: 'failed', failureFinal: false });
    const refundable = async () =>
      (
        await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sale.id}`, headers: await h.login('owner') })
      ).json().refundableAmount;
    expect(await refundable()).toBe(2_000); // the failed refund still holds its 8 000

    const opened = await openDispute(ip, { refundId, trackingSecret: secret, description: 'never got my money' });
    expect(opened.statusCode, opened.body).toBe(201);
    const id = opened.json().id;
    h.clock.advance(7 * DAY);
    h.forgetTokens();
    expect((await post(id, 'escalate', { trackingSecret: secret, reason: 'stuck' }, { ip })).statusCode).toBe(200);
    const ruled = await post(
      id,
      'decision',
      { outcome: 'resolved_for_customer', ruling: 'Refund the customer in full.', amount: 8_000 },
      { headers: await h.login('reviewer') },
    );
    expect(ruled.statusCode, ruled.body).toBe(200);
    const admin = await h.login('admin');
    const forced = (
      await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${ruled.json().refundId}`, headers: admin })
    ).json();
    expect(forced).toMatchObject({ amount: 8_000, status: 'processing', disputeId: id });
    const released = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${refundId}`, headers: admin })).json();
    expect(released).toMatchObject({ status: 'failed', failureFinal: true });
    expect(released.timeline.at(-1).note).toBe(`released: superseded by the ruling of dispute ${id}`);
    expect(await refundable()).toBe(2_000); // 8 000 moved from the failed refund to the ordered one
    h.forgetTokens();
  });

  it('rules for the customer with a refund bounded by what is still refundable, once, and settles the dispute', async () => {
    const ip = nextIp();
    const { disputeId: id, secret, sale } = await paymentDispute(ip, 10_000);
    // Meanwhile the merchant refunds 7 000 at the counter: the open dispute sends it to a person.
    const counter = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: sale.id, amount: 7_000, reason: 'duplicate', refundPassword: REFUND_PASSWORD },
    });
    expect(counter.statusCode, counter.body).toBe(201);
    await h.drain();
    const reviewer = await h.login('reviewer');
    let refund = (
      await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${counter.json().id}`, headers: reviewer })
    ).json();
    expect(refund).toMatchObject({ status: 'pending_acquirer', acquirerReview: 'manual' });
    const queue = (
      await h.app.inject({ method: 'GET', url: '/api/v1/acquirer/refund-reviews', headers: reviewer })
    ).json();
    expect(queue.data.map((x: Body) => x.id)).toContain(refund.id);
    const approve = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${refund.id}/acquirer-decision`,
      headers: reviewer,
      payload: { decision: 'approve', reason: 'a real duplicate' },
    });
    expect(approve.statusCode, approve.body).toBe(200);
    await h.drain();

    h.clock.advance(7 * DAY);
    h.forgetTokens();
    expect((await post(id, 'escalate', { secret, reason: 'still charged twice' }, { ip })).statusCode).toBe(200);
    const ruling = { outcome: 'resolved_for_customer', ruling: 'Refund the rest.', amount: 5_000 };
    const reviewerHeaders = await h.login('reviewer');
    const keyed = { ...reviewerHeaders, 'idempotency-key': `ruling-${engine}-1` };
    // Twins with one key: the ruling is made once, the other replays it, one refund is ordered.
    const twins = await Promise.all([
      post(id, 'decision', ruling, { headers: keyed }),
      post(id, 'decision', ruling, { headers: keyed }),
    ]);
    expect(twins.map((t) => t.statusCode)).toEqual([200, 200]);
    expect(twins.map((t) => t.headers['idempotent-replayed'] ?? 'first').sort()).toEqual(['first', 'true']);
    const forcedId = twins[0].json().refundId;
    expect(twins[1].json().refundId).toBe(forcedId);
    expect(twins[0].json().dispute).toMatchObject({
      status: 'resolved_for_customer',
      ruling: { outcome: 'resolved_for_customer', amount: 3_000, forcedRefundId: forcedId },
    });
    const conflict = await post(id, 'decision', { ...ruling, ruling: 'something else' }, { headers: keyed });
    expect(conflict.json().code).toBe('idempotency_conflict');
    const again = await post(id, 'decision', ruling, { headers: reviewerHeaders });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('invalid_transition');
    const admin = await h.login('admin');
    refund = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${forcedId}`, headers: admin })).json();
    expect(refund).toMatchObject({ amount: 3_000, status: 'processing', disputeId: id, paymentId: sale.id });
    expect(refund.timeline.map((e: Body) => e.note).join(' ')).toContain(id);

    // Not settled before the refund succeeds; the safety-net job never makes a second one.
    let close = await post(id, 'close', { secret, outcome: 'settled' }, { ip });
    expect(close.statusCode).toBe(409);
    expect(close.json().code).toBe('dispute_not_settled');
    h.clock.advance(HOUR);
    h.forgetTokens();
    await h.drain();
    const all = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/refunds?paymentId=${sale.id}`,
        headers: await h.login('admin'),
      })
    ).json().data;
    expect(all.filter((x: Body) => x.disputeId === id)).toHaveLength(1);
    const p = (
      await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sale.id}`, headers: await h.login('admin') })
    ).json();
    expect(p).toMatchObject({ refundedAmount: 10_000, refundableAmount: 0 });

    close = await post(id, 'close', { secret, outcome: 'settled' }, { ip });
    expect(close.statusCode, close.body).toBe(200);
    expect(close.json()).toMatchObject({ status: 'closed', outcome: 'settled' });
    const events = close.json().events.map((e: Body) => e.kind);
    expect(events).toEqual(['transition', 'transition', 'transition', 'refund_ordered', 'transition']);
  });

  it('refuses a ruling for the customer when nothing is left to refund, and changes nothing', async () => {
    const ip = nextIp();
    const { disputeId: id, secret, sale } = await paymentDispute(ip, 2_000);
    const counter = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: sale.id, amount: 2_000, reason: 'other', refundPassword: REFUND_PASSWORD },
    });
    expect(counter.statusCode, counter.body).toBe(201);
    h.clock.advance(7 * DAY);
    h.forgetTokens();
    expect((await post(id, 'escalate', { secret, reason: 'x' }, { ip })).statusCode).toBe(200);
    const r = await post(
      id,
      'decision',
      { outcome: 'resolved_for_customer', ruling: 'refund' },
      { headers: await h.login('reviewer') },
    );
    expect(r.statusCode).toBe(422);
    expect(r.json()).toMatchObject({ code: 'refund_exceeds_refundable', refundableAmount: 0 });
    expect((await get(id, { secret, ip })).json().status).toBe('escalated');
  });

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
    expect(r.json()).toEqual({ id: expect.stringMatching(/^dp_/), status: 'negotiating', accessSecret: null });
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

  it('authorises every dispute route by role, merchant and secret', async () => {
    const ip = nextIp();
    const { disputeId: id, secret } = await rejectedDispute(ip);
    const other = await paymentDispute(ip);
    const acq = await transaction(h.db, (tx) => merchants.createAcquirer(tx, h.ctx, 'Other Acquirer'));
    await users.createUser(h.db, h.ctx, {
      email: 'reviewer@other-acquirer.demo',
      password: 'Second-Acquirer-2026!',
      name: 'Other reviewer',
      role: 'acquirer_reviewer',
      acquirerId: acq.id,
    });
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'reviewer@other-acquirer.demo', password: 'Second-Acquirer-2026!' },
    });
    const foreignReviewer = { authorization: `Bearer ${login.json().token}` };
    const who: Record<string, Headers> = {
      owner: await h.login('owner'),
      supervisor: await h.operator('supervisor'),
      cashier: await h.operator('cashier'),
      reviewer: await h.login('reviewer'),
      admin: await h.login('admin'),
      agent: await h.login('agent'),
      otherOwner: await h.login('otherOwner'),
      otherSupervisor: await h.operator('supervisor', 'other'),
      foreignReviewer,
      apiKey: await h.apiKey(['read', 'refunds:write']),
    };
    const reads: Array<[string, string]> = [
      ['GET', `/api/v1/disputes/${id}`],
      ['GET', `/api/v1/disputes/${id}/case-file`],
    ];
    const expectations: Record<string, number> = {
      owner: 200,
      supervisor: 200,
      cashier: 403,
      reviewer: 200,
      admin: 200,
      agent: 403,
      otherOwner: 404,
      otherSupervisor: 404,
      foreignReviewer: 404,
      apiKey: 403,
    };
    for (const [method, url] of reads) {
      for (const [name, headers] of Object.entries(who)) {
        const r = await h.app.inject({ method: method as 'GET', url, headers });
        expect(r.statusCode, `${method} ${url} as ${name}: ${r.body.slice(0, 160)}`).toBe(expectations[name]);
      }
    }
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/disputes?limit=100', headers: who.otherOwner });
    expect(list.statusCode).toBe(200);
    expect(JSON.stringify(list.json())).not.toContain(id);
    const mine = await h.app.inject({ method: 'GET', url: '/api/v1/disputes?limit=100', headers: who.reviewer });
    expect(mine.json().data.map((d: Body) => d.id)).toEqual(expect.arrayContaining([id, other.disputeId]));
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/v1/disputes', headers: foreignReviewer })).json().data,
    ).toEqual([]);

    // The customer: a wrong secret, or another dispute's secret, is the same 404 as an unknown id.
    const unknownId = 'dp_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
    const wrongSecret = await get(id, { secret: 'not-the-secret', ip });
    expect(wrongSecret.statusCode).toBe(404);
    expect(problemOf(wrongSecret)).toEqual(problemOf(await get(unknownId, { secret: 'not-the-secret', ip })));
    expect((await get(id, { secret: other.secret, ip })).statusCode).toBe(404);
    expect((await get(other.disputeId, { secret, ip })).statusCode).toBe(404);
    expect((await get(id, { ip })).statusCode).toBe(401);
    expect((await get(id, { headers: { authorization: 'Bearer rds_forged' } })).statusCode).toBe(401);
    for (const [action, body] of [
      ['messages', { body: 'x' }],
      ['escalate', { reason: 'x' }],
      ['close', { outcome: 'withdrawn' }],
      ['refer', {}],
      ['rating', { score: 5 }],
    ] as const) {
      const wrong = await post(id, action, { ...body, secret: 'not-the-secret' }, { ip });
      const unknown = await post(unknownId, action, { ...body, secret: 'not-the-secret' }, { ip });
      expect(wrong.statusCode, `${action}: ${wrong.body}`).toBe(404);
      expect(problemOf(wrong)).toEqual(problemOf(unknown));
    }

    // Writing: the merchant's owner and supervisors, not a cashier, not another merchant.
    const write = (headers: Headers) => post(id, 'messages', { body: 'from the shop' }, { headers });
    expect((await write(who.supervisor)).statusCode).toBe(201);
    expect((await write(who.cashier)).statusCode).toBe(403);
    expect((await write(who.otherOwner)).statusCode).toBe(404);
    expect((await write(who.apiKey)).statusCode).toBe(403);
    expect((await write(who.admin)).statusCode).toBe(403);
    // The acquirer joins the thread only once escalated.
    expect((await write(who.reviewer)).statusCode).toBe(409);
    // Escalating and rating are the customer's: a session is not the customer.
    expect((await post(id, 'escalate', { reason: 'x' }, { headers: who.owner })).statusCode).toBe(401);
    expect((await post(id, 'close', { outcome: 'withdrawn' }, { headers: who.owner })).statusCode).toBe(403);

    // Ruling: only a reviewer of the merchant's own acquirer, and only once escalated.
    const decide = (headers: Headers) =>
      post(id, 'decision', { outcome: 'resolved_for_merchant', ruling: 'r' }, { headers });
    for (const name of ['owner', 'supervisor', 'cashier', 'admin', 'agent', 'apiKey'] as const) {
      const r = await decide(who[name]);
      expect(r.statusCode, `decision as ${name}`).toBe(403);
      expect(r.json().code).toMatch(/^(forbidden|insufficient_scope)$/);
    }
    expect((await decide(who.foreignReviewer)).statusCode).toBe(404);
    expect((await decide(who.reviewer)).json().code).toBe('invalid_transition');
    expect((await post(id, 'escalate', { secret, reason: 'x' }, { ip })).statusCode).toBe(200);
    expect((await decide(who.foreignReviewer)).statusCode).toBe(404);
    expect((await decide({})).statusCode).toBe(401);
    expect((await decide(who.reviewer)).statusCode).toBe(200);

    // Referring: the customer or the merchant's people, never the acquirer or a cashier.
    expect((await post(id, 'refer', {}, { headers: who.reviewer })).statusCode).toBe(403);
    expect((await post(id, 'refer', {}, { headers: who.cashier })).statusCode).toBe(403);
    expect((await post(id, 'refer', {}, { headers: who.otherSupervisor })).statusCode).toBe(404);
    expect((await post(id, 'refer', {}, { headers: who.supervisor })).statusCode).toBe(201);
    // Case files: never for another merchant or acquirer.
    for (const name of ['otherOwner', 'foreignReviewer'] as const) {
      const r = await h.app.inject({
        method: 'GET',
        url: `/api/v1/disputes/${id}/case-file?format=pdf`,
        headers: who[name],
      });
      expect(r.statusCode).toBe(404);
    }
  });
});
