import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { type TestSmtp, useSmtpHarness } from '../../test/support/smtp-harness.js';
import { HOUR } from '../clock.js';
import { CUSTOMER } from './refund.fixtures.js';
import { journeyRequests } from './refund-journey.fixtures.js';

/** A refund through both reviews, over HTTP: who decides, what the customer reads and is e-mailed. */
describe.each(engines())('the refund journey (%s)', (engine) => {
  let h: Harness;
  let smtp: TestSmtp;
  useSmtpHarness(engine, (opened) => ({ h, smtp } = opened));
  const { ask, track, merchantDecision, acquirerDecision, setPolicy, refundableOf } = journeyRequests(() => h);

  it('goes customer → merchant → acquirer by hand → processing → succeeded, and e-mails the customer the amount', async () => {
    await setPolicy({ acquirerManualReviewAbove: 1_000 });
    const sale = await h.sale(10_000, { settled: true });
    const asked = await ask(sale);
    expect(asked.statusCode, asked.body).toBe(201);
    const { id, trackingSecret, status } = asked.json();
    expect(status).toBe('pending_merchant');
    expect(await refundableOf(sale.id)).toBe(8_000);

    const approved = await merchantDecision(id, { decision: 'approve', refundPassword: REFUND_PASSWORD });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().status).toBe('pending_acquirer');
    await h.drain();
    const queue = await h.app.inject({
      method: 'GET',
      url: '/api/v1/acquirer/refund-reviews',
      headers: await h.login('reviewer'),
    });
    const queued = queue.json().data.find((r: { id: string }) => r.id === id);
    // The reviewer reads why the rules did not approve it, on the timeline and in the audit log.
    expect(queued.acquirerReview).toBe('manual');
    expect(queued.timeline.at(-1)).toMatchObject({
      from: 'pending_acquirer',
      to: 'pending_acquirer',
      note: 'waiting for a reviewer: amount above the manual-review threshold',
    });
    const audit = await h.app.inject({
      method: 'GET',
      url: `/api/v1/audit-events?objectId=${id}&action=refund.manual_review`,
      headers: await h.login('owner'),
    });
    expect(audit.json().data[0].details.reasons).toEqual(['amount above the manual-review threshold']);

    const decided = await acquirerDecision(id, { decision: 'approve', reason: 'receipt and return slip checked' });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json().status).toBe('processing');
    await h.drain();

    const view = await track(id, `secret=${trackingSecret}&lang=en`);
    expect(view.statusCode, view.body).toBe(200);
    const v = view.json();
    expect(v.status).toBe('succeeded');
    expect(v.amountText).toBe('20.00 CNY');
    expect(v.timeline.map((e: { status: string; text: string }) => [e.status, e.text])).toEqual([
      ['pending_merchant', 'Request received; waiting for the merchant’s review'],
      ['pending_acquirer', 'With the payment institution for review'],
      ['pending_acquirer', 'A reviewer at the payment institution is checking it'],
      ['processing', 'Approved; the refund is being sent'],
      ['succeeded', 'Refund succeeded'],
    ]);
    expect(v.next.by).toBe('2026-03-09'); // five business days after Monday 2 March 2026
    expect(view.body).not.toContain(String(sale.card && (sale.card as { bin: string }).bin));
    expect(view.body).not.toContain('usr_');
    expect(view.body).not.toContain('threshold');

    await h.drain();
    const mails = smtp.to(CUSTOMER);
    const success = mails.find((m) => m.subject === 'Refund succeeded');
    expect(success?.text).toContain('20.00 CNY');
    expect(success?.text).toContain(v.processorReference);
    expect(success?.text).toContain('2026-03-09');
    expect(mails.map((m) => m.subject).sort()).toEqual([
      'Refund approved',
      'Refund request received',
      'Refund sent to the payment institution',
      'Refund succeeded',
    ]);
    const owner = smtp.to('owner@merchant.demo');
    expect(owner.map((m) => m.subject)).toEqual(expect.arrayContaining(['新的退款申请', '退款已完成']));
    expect(owner.find((m) => m.subject === '退款已完成')?.text).toContain('20.00 CNY');
  });

  it('auto-approves at the acquirer when every rule passes, and small amounts at the merchant by policy', async () => {
    await setPolicy({ merchantAutoApproveUpTo: 3_000 });
    const sale = await h.sale(10_000, { settled: true });
    const { id, trackingSecret } = (await ask(sale)).json();
    await h.drain();
    const v = (await track(id, `secret=${trackingSecret}`)).json();
    expect(v.status).toBe('succeeded');
    // Without `lang`, in the language the customer chose in the request (en), not a default.
    expect(v.timeline[0].text).toBe('Request received; waiting for the merchant’s review');
    expect((await track(id, `secret=${trackingSecret}&lang=zh-CN`)).json().timeline[0].text).toBe(
      '退款申请已提交，等待商户审核',
    );
  });

  it('lets the merchant reject only with a reason the customer reads, and releases the amount', async () => {
    const sale = await h.sale(10_000);
    const { id, trackingSecret } = (await ask(sale)).json();
    const noReason = await merchantDecision(id, { decision: 'reject' });
    expect(noReason.statusCode).toBe(400);
    const r = await merchantDecision(id, { decision: 'reject', reason: 'goods were used' });
    expect(r.json().status).toBe('rejected_by_merchant');
    expect(await refundableOf(sale.id)).toBe(10_000);
    const v = (await track(id, `secret=${trackingSecret}&lang=en`)).json();
    expect(v.decisionReason).toBe('goods were used');
    await h.drain();
    expect(smtp.to(CUSTOMER).find((m) => m.subject === 'Refund request declined')?.text).toContain('goods were used');
  });

  it('needs the refund password to approve, and refuses the wrong one', async () => {
    const { id } = (await ask(await h.sale(10_000))).json();
    expect((await merchantDecision(id, { decision: 'approve' })).json().code).toBe('refund_password_required');
    expect((await merchantDecision(id, { decision: 'approve', refundPassword: '000001' })).json().code).toBe(
      'refund_password_invalid',
    );
    const ok = await merchantDecision(
      id,
      { decision: 'approve', refundPassword: REFUND_PASSWORD },
      await h.operator('supervisor'),
    );
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('lets the acquirer reject a refund in its queue, with who and why on the timeline', async () => {
    await setPolicy({ acquirerManualReviewAbove: 0 });
    const sale = await h.sale(10_000);
    const { id } = (await ask(sale)).json();
    await merchantDecision(id, { decision: 'approve', refundPassword: REFUND_PASSWORD });
    await h.drain();
    const r = await acquirerDecision(id, { decision: 'reject', reason: 'duplicate of an earlier refund' });
    expect(r.json().status).toBe('rejected_by_acquirer');
    const last = r.json().timeline.at(-1);
    expect(last.actor.kind).toBe('user');
    expect(last.note).toBe('duplicate of an earlier refund');
    expect(await refundableOf(sale.id)).toBe(10_000);
  });

  it('escalates a request the merchant left unanswered past 48 hours to the acquirer’s manual queue', async () => {
    const { id, trackingSecret } = (await ask(await h.sale(10_000))).json();
    h.clock.advance(47 * HOUR);
    await h.drain();
    expect((await track(id, `secret=${trackingSecret}`)).json().status).toBe('pending_merchant');
    h.clock.advance(HOUR + 1000);
    await h.drain();
    const v = (await track(id, `secret=${trackingSecret}&lang=en`)).json();
    expect(v.status).toBe('pending_acquirer');
    h.forgetTokens();
    const refund = (
      await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${id}`, headers: await h.login('owner') })
    ).json();
    expect(refund.acquirerReview).toBe('manual');
    expect(refund.timeline.at(-1).note).toContain('did not answer in time');
  });

  it('keeps reviews to the right people: cashier, other merchant, other acquirer', async () => {
    const { id } = (await ask(await h.sale(10_000))).json();
    expect(
      (await merchantDecision(id, { decision: 'reject', reason: 'x' }, await h.operator('cashier'))).statusCode,
    ).toBe(403);
    expect(
      (await merchantDecision(id, { decision: 'reject', reason: 'x' }, await h.login('otherOwner'))).statusCode,
    ).toBe(404);
    expect(
      (await merchantDecision(id, { decision: 'reject', reason: 'x' }, await h.login('reviewer'))).statusCode,
    ).toBe(403);
    expect((await acquirerDecision(id, { decision: 'approve', reason: 'x' }, await h.login('owner'))).statusCode).toBe(
      403,
    );

    const stranger = await h.stranger('acquirer_reviewer');
    await merchantDecision(id, { decision: 'approve', refundPassword: REFUND_PASSWORD });
    await setPolicy({ acquirerManualReviewAbove: 0 });
    await h.drain();
    expect((await acquirerDecision(id, { decision: 'approve', reason: 'x' }, stranger)).statusCode).toBe(404);
    const queue = await h.app.inject({ method: 'GET', url: '/api/v1/acquirer/refund-reviews', headers: stranger });
    expect(queue.json().data).toHaveLength(0);
  });
});
