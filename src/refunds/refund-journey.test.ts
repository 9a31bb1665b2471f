import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { refundPolicyBody } from '../../test/support/refund-policy.js';
import { type TestSmtp, useSmtpHarness } from '../../test/support/smtp-harness.js';
import { DAY, HOUR } from '../clock.js';
import type { Payment } from '../payments/payment.js';
import { CUSTOMER, customerInput } from './refund.fixtures.js';

describe.each(engines())('the refund journey (%s)', (engine) => {
  let h: Harness;
  let smtp: TestSmtp;
  useSmtpHarness(engine, (opened) => ({ h, smtp } = opened));

  async function ask(sale: Record<string, unknown>, over: Record<string, unknown> = {}) {
    return h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      payload: customerInput(sale as Pick<Payment, 'reference' | 'card'>, over),
    });
  }
  const track = (id: string, query: string) =>
    h.app.inject({ method: 'GET', url: `/api/v1/public/refunds/${id}?${query}` });
  const merchantDecision = async (id: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${id}/merchant-decision`,
      headers: headers ?? (await h.login('owner')),
      payload: body,
    });
  const acquirerDecision = async (id: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${id}/acquirer-decision`,
      headers: headers ?? (await h.login('reviewer')),
      payload: body,
    });
  const setPolicy = async (over: Record<string, unknown>) => {
    const r = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-policy`,
      headers: await h.login('owner'),
      payload: refundPolicyBody(over),
    });
    expect(r.statusCode, r.body).toBe(200);
  };
  const refundableOf = async (paymentId: string) =>
    (
      await h.app.inject({ method: 'GET', url: `/api/v1/payments/${paymentId}`, headers: await h.login('owner') })
    ).json().refundableAmount as number;

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

  it('lets the customer cancel while the merchant has not answered, and only then', async () => {
    const { id, trackingSecret } = (await ask(await h.sale(10_000))).json();
    const wrong = await h.app.inject({
      method: 'POST',
      url: `/api/v1/public/refunds/${id}/cancel`,
      payload: { secret: 'nope' },
    });
    expect(wrong.statusCode).toBe(404);
    const ok = await h.app.inject({
      method: 'POST',
      url: `/api/v1/public/refunds/${id}/cancel`,
      payload: { secret: trackingSecret },
    });
    expect(ok.json().status).toBe('canceled');
    const second = await ask(await h.sale(10_000));
    await merchantDecision(second.json().id, { decision: 'approve', refundPassword: REFUND_PASSWORD });
    const late = await h.app.inject({
      method: 'POST',
      url: `/api/v1/public/refunds/${second.json().id}/cancel`,
      payload: { secret: second.json().trackingSecret },
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('invalid_transition');
  });

  it('lets the merchant cancel while the acquirer has not decided, releasing the amount, and only then', async () => {
    await setPolicy({ acquirerManualReviewAbove: 1_000 });
    const supervisor = await h.operator('supervisor');
    const cancel = (id: string, headers: Record<string, string> = supervisor) =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/refunds/${id}/cancel`,
        headers,
        payload: { reason: 'customer kept it' },
      });
    const sale = await h.sale(10_000, { settled: true });
    // Waiting for the merchant: the customer's to cancel, not the merchant's.
    const asked = (await ask(sale)).json();
    expect((await cancel(asked.id)).json()).toMatchObject({
      code: 'invalid_transition',
      refundStatus: 'pending_merchant',
    });
    // Waiting for the acquirer: the merchant may cancel; a cashier may not; another merchant sees nothing.
    const counter = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: supervisor,
      payload: { paymentId: sale.id, amount: 3_000, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    await h.drain();
    expect(await refundableOf(sale.id)).toBe(5_000);
    expect((await cancel(counter.json().id, await h.operator('cashier'))).statusCode).toBe(403);
    expect((await cancel(counter.json().id, await h.login('otherOwner'))).statusCode).toBe(404);
    const canceled = await cancel(counter.json().id);
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(canceled.json().status).toBe('canceled');
    expect(await refundableOf(sale.id)).toBe(8_000);
    // Once processing, the money is on its way: no cancel.
    const reviewer = await h.login('reviewer');
    const approved = await merchantDecision(asked.id, { decision: 'approve', refundPassword: REFUND_PASSWORD });
    expect(approved.json().status).toBe('pending_acquirer');
    await h.drain();
    expect((await acquirerDecision(asked.id, { decision: 'approve', reason: 'ok' }, reviewer)).json().status).toBe(
      'processing',
    );
    expect((await cancel(asked.id)).json()).toMatchObject({ code: 'invalid_transition', refundStatus: 'processing' });
    expect(await refundableOf(sale.id)).toBe(8_000);
  });

  it('answers an unknown id and a wrong secret alike, and tracks by the contact given', async () => {
    const { id } = (await ask(await h.sale(10_000))).json();
    const wrong = await track(id, 'secret=not-the-secret');
    const unknown = await track('re_01M8AAAAAAAAAAAAAAAAAAAAAA', 'secret=not-the-secret');
    expect(wrong.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect((await track(id, `contact=${encodeURIComponent('LI.LEI@example.cn')}`)).statusCode).toBe(200);
    expect((await track(id, 'contact=someone%40example.cn')).statusCode).toBe(404);
    const byPhone = (await ask(await h.sale(10_000), { contact: { phone: '+86 138-0013-8000' } })).json();
    expect((await track(byPhone.id, 'contact=8613800138000')).statusCode).toBe(200);
    expect((await track(byPhone.id, 'contact=138%200013%208000')).statusCode).toBe(200);
    expect((await track(byPhone.id, 'contact=13800138001')).statusCode).toBe(404);
  });

  it('replays a retried request with its Idempotency-Key: one reservation, the same tracking secret', async () => {
    const sale = await h.sale(10_000);
    const askWithKey = (key: string, over: Record<string, unknown> = {}) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/public/refund-requests',
        headers: { 'idempotency-key': key },
        payload: {
          paymentReference: sale.reference,
          cardLast4: (sale.card as { last4: string }).last4,
          amount: 3_000,
          reason: 'goods_returned',
          description: 'retried from a flaky phone connection',
          contact: { email: CUSTOMER },
          ...over,
        },
      });
    const twins = await Promise.all(Array.from({ length: 5 }, () => askWithKey('phone-retry-1')));
    for (const t of twins) expect(t.statusCode, t.body).toBe(201);
    const first = twins[0].json();
    for (const t of twins) expect(t.json()).toEqual(first);
    expect(twins.filter((t) => t.headers['idempotent-replayed'] === 'true')).toHaveLength(4);
    expect(await refundableOf(sale.id)).toBe(7_000);
    expect((await track(first.id, `secret=${first.trackingSecret}`)).statusCode).toBe(200);

    // The secret is given back on replay without being stored anywhere but as the refund's hash.
    const key = await h.db.kysely
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('key', '=', 'phone-retry-1')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(key)).not.toContain(first.trackingSecret);

    const changed = await askWithKey('phone-retry-1', { amount: 3_001 });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().code).toBe('idempotency_conflict');

    const other = await askWithKey('phone-retry-2');
    expect(other.statusCode).toBe(201);
    expect(other.json().trackingSecret).not.toBe(first.trackingSecret);
    expect(await refundableOf(sale.id)).toBe(4_000);

    // A retry once the merchant's refund window has closed (the policy would refuse the request
    // now) still gets the first answer back.
    h.clock.advance(181 * 24 * 3_600_000);
    expect((await askWithKey('phone-retry-new')).json().code).toBe('refund_window_expired');
    const late = await askWithKey('phone-retry-1');
    expect(late.statusCode, late.body).toBe(201);
    expect(late.json()).toEqual(first);
    expect(late.headers['idempotent-replayed']).toBe('true');
  });

  it('gives one generic answer for a wrong reference or last 4, and rate-limits a reference', async () => {
    const sale = await h.sale(10_000);
    const wrongCard = await ask(sale, { cardLast4: '0000' });
    const wrongRef = await ask(sale, { paymentReference: '999999999999' });
    expect(wrongCard.json().code).toBe('payment_not_matched');
    expect(wrongRef.json().detail).toBe(wrongCard.json().detail);
    let limited = false;
    for (let i = 0; i < 12 && !limited; i++) limited = (await ask(sale, { cardLast4: '0000' })).statusCode === 429;
    expect(limited).toBe(true);
  });

  it('rate-limits one address trying many references: 30 in ten minutes, then 429 even for a real one', async () => {
    const sale = await h.sale(10_000);
    for (let i = 0; i < 29; i++) {
      const r = await ask(sale, { paymentReference: String(100_000_000_000 + i) });
      expect(r.json().code).toBe('payment_not_matched');
    }
    expect((await ask(sale, { amount: 100 })).statusCode).toBe(201); // the 30th, a real one
    const blocked = await ask(sale, { amount: 100 });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('rate_limited');
    h.clock.advance(10 * 60_000 + 1);
    expect((await ask(sale, { amount: 100 })).statusCode).toBe(201);
  });

  it('follows the merchant’s policy: window, partial refunds, reasons', async () => {
    await setPolicy({ windowDays: 30, partialAllowed: false, reasons: ['goods_returned', 'payment_failure'] });
    const sale = await h.sale(10_000);
    expect((await ask(sale, { amount: 5_000 })).json().code).toBe('partial_refund_not_allowed');
    expect((await ask(sale, { amount: 10_000, reason: 'other' })).json().code).toBe('refund_reason_not_accepted');
    h.clock.advance(31 * DAY);
    expect((await ask(sale, { amount: 10_000 })).json().code).toBe('refund_window_expired');
  });

  it('keeps the amount of a refund that failed but may be retried, and the retry needs no new reservation', async () => {
    const sale = await h.sale(10_000, { card: '4000000000000119', settled: true });
    const key = await h.apiKey(['refunds:write', 'read']);
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: key,
      payload: { paymentId: sale.id, amount: 4_000, reason: 'wrong_amount' },
    });
    await h.drain();
    const owner = await h.login('owner');
    const get = async () =>
      (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${created.json().id}`, headers: owner })).json();
    expect(await get()).toMatchObject({ status: 'failed', failureReason: 'processor_error', failureFinal: false });
    // Still reserved: another refund cannot take the amount the customer is owed.
    expect(await refundableOf(sale.id)).toBe(6_000);
    const grab = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: key,
      payload: { paymentId: sale.id, amount: 6_001, reason: 'other' },
    });
    expect(grab.json().code).toBe('refund_exceeds_refundable');
    const retried = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${created.json().id}/retry`,
      headers: owner,
    });
    expect(retried.json().status).toBe('processing');
    expect(await refundableOf(sale.id)).toBe(6_000);
    await h.drain();
    expect((await get()).status).toBe('succeeded');
    expect(await refundableOf(sale.id)).toBe(6_000);
  });

  it('replays a retried decision or retry with its Idempotency-Key instead of answering 409', async () => {
    await setPolicy({ acquirerManualReviewAbove: 1_000 });
    const owner = await h.login('owner');
    const reviewer = await h.login('reviewer');
    const post = (url: string, headers: Record<string, string>, key: string | undefined, payload: object = {}) =>
      h.app.inject({ method: 'POST', url, headers: key ? { ...headers, 'idempotency-key': key } : headers, payload });
    const twice = async (url: string, headers: Record<string, string>, key: string, payload: object) => {
      const answers = await Promise.all([1, 2, 3].map(() => post(url, headers, key, payload)));
      for (const a of answers) expect(a.statusCode, a.body).toBe(200);
      for (const a of answers) expect(a.json()).toEqual(answers[0].json());
      expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
      const again = await post(url, headers, key, payload);
      expect(again.headers['idempotent-replayed']).toBe('true');
      return answers[0].json();
    };

    const sale = await h.sale(10_000, { card: '4000000000000119' }); // first refund attempt fails
    const { id } = (await ask(sale, { amount: 4_000 })).json();
    const approve = { decision: 'approve', refundPassword: REFUND_PASSWORD };
    const merchantUrl = `/api/v1/refunds/${id}/merchant-decision`;
    expect((await twice(merchantUrl, owner, 'md-1', approve)).status).toBe('pending_acquirer');
    const conflict = await post(merchantUrl, owner, 'md-1', { decision: 'reject', reason: 'changed my mind' });
    expect(conflict.json().code).toBe('idempotency_conflict');
    expect((await post(merchantUrl, owner, undefined, approve)).json().code).toBe('invalid_transition');
    // Another merchant's owner with the same key replays nothing: keys live in their merchant's space.
    expect((await post(merchantUrl, await h.login('otherOwner'), 'md-1', approve)).statusCode).toBe(404);

    await h.drain();
    const acquirerUrl = `/api/v1/refunds/${id}/acquirer-decision`;
    const ok = { decision: 'approve', reason: 'receipt and goods checked' };
    expect((await twice(acquirerUrl, reviewer, 'ad-1', ok)).status).toBe('processing');
    await h.drain();
    const retryUrl = `/api/v1/refunds/${id}/retry`;
    expect((await twice(retryUrl, owner, 'rt-1', {})).status).toBe('processing');
    expect(await refundableOf(sale.id)).toBe(6_000);
    await h.drain();
    const done = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${id}`, headers: owner })).json();
    expect(done.status).toBe('succeeded');
    expect(done.timeline.filter((e: { to: string }) => e.to === 'processing')).toHaveLength(2);
  });

  it('sends a refund of an unsettled sale, or one past the window, to a reviewer, naming the rule', async () => {
    const key = await h.apiKey(['refunds:write', 'read']);
    const refund = async (paymentId: string) => {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: key,
        payload: { paymentId, amount: 1_000, reason: 'goods_returned' },
      });
      expect(r.statusCode, r.body).toBe(201);
      await h.drain();
      return (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${r.json().id}`, headers: key })).json();
    };
    const unsettled = await refund((await h.sale(10_000)).id);
    expect(unsettled.status).toBe('pending_acquirer');
    expect(unsettled.timeline.at(-1).note).toBe('waiting for a reviewer: the sale is not settled yet');

    const old = await h.sale(10_000, { settled: true });
    h.clock.advance(181 * DAY);
    h.forgetTokens(); // the sessions expired meanwhile; the API key did not
    const late = await refund(old.id);
    expect(late.status).toBe('pending_acquirer');
    expect(late.timeline.at(-1).note).toBe('waiting for a reviewer: outside the refund window');

    const fresh = await refund((await h.sale(10_000, { settled: true })).id);
    expect(fresh.status).toBe('succeeded');
  });

  it('fails a refund to a closed card for good, and one beyond the merchant’s balance after three attempts', async () => {
    const key = await h.apiKey(['refunds:write', 'read']);
    const reviewer = await h.login('reviewer');
    const start = async (card: string, customer = false) => {
      const sale = await h.sale(10_000, { card, settled: true });
      const id = customer
        ? (await ask(sale, { amount: 2_500 })).json().id
        : (
            await h.app.inject({
              method: 'POST',
              url: '/api/v1/refunds',
              headers: key,
              payload: { paymentId: sale.id, amount: 2_500, reason: 'goods_returned' },
            })
          ).json().id;
      return { sale, id };
    };
    const get = async (id: string) =>
      (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${id}`, headers: key })).json();
    const retry = (id: string) =>
      h.app.inject({ method: 'POST', url: `/api/v1/refunds/${id}/retry`, headers: reviewer });

    // card_closed: final at the first answer; the amount is released and a retry is refused.
    await setPolicy({ merchantAutoApproveUpTo: 5_000 });
    const closed = await start('4000000000005126', true);
    await h.drain();
    expect(await get(closed.id)).toMatchObject({ status: 'failed', failureReason: 'card_closed', failureFinal: true });
    expect(await refundableOf(closed.sale.id)).toBe(10_000);
    const refused = await retry(closed.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('refund_failure_final');
    await h.drain();
    expect(smtp.to(CUSTOMER).map((m) => m.subject)).toContain('Refund could not be made');
    const view = (await track(closed.id, `contact=${CUSTOMER}&lang=en`)).json();
    expect(view.statusText).toBe('The refund could not be made; no money was sent');

    // insufficient_merchant_balance: kept and retried (by the acquirer too) until the third attempt.
    const poor = await start('4000000000000127');
    for (let attempt = 1; attempt <= 3; attempt++) {
      await h.drain();
      const r = await get(poor.id);
      expect(r).toMatchObject({ status: 'failed', failureReason: 'insufficient_merchant_balance' });
      expect(r.failureFinal).toBe(attempt === 3);
      expect(await refundableOf(poor.sale.id)).toBe(attempt === 3 ? 10_000 : 7_500);
      if (attempt < 3) expect((await retry(poor.id)).json().status).toBe('processing');
    }
    expect((await retry(poor.id)).json().code).toBe('refund_failure_final');
  });

  it('sends a payment_failure refund to manual review unless the payment really took money without success', async () => {
    const good = await h.sale(5_000, { settled: true });
    const { id } = (await ask(good, { reason: 'payment_failure', amount: 5_000 })).json();
    await merchantDecision(id, { decision: 'approve', refundPassword: REFUND_PASSWORD });
    await h.drain();
    const refund = (
      await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${id}`, headers: await h.login('owner') })
    ).json();
    expect(refund.status).toBe('pending_acquirer');
    expect(refund.acquirerReview).toBe('manual');
    const charged = await h.sale(5_000, { card: '4000000000000259', settled: true });
    expect(charged.status).toBe('failed');
    const real = (await ask(charged, { reason: 'payment_failure', amount: 5_000 })).json();
    await merchantDecision(real.id, { decision: 'approve', refundPassword: REFUND_PASSWORD });
    await h.drain();
    expect((await track(real.id, `secret=${real.trackingSecret}`)).json().status).toBe('succeeded');
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

  it('sends every refund of a payment the acquirer flagged to a reviewer, until it is cleared', async () => {
    const sale = await h.sale(10_000, { settled: true });
    const reviewer = await h.login('reviewer');
    const flag = (flagged: boolean, headers = reviewer) =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/payments/${sale.id}/flag`,
        headers,
        payload: { flagged, reason: 'chargeback pattern' },
      });
    expect((await flag(true, await h.login('owner'))).statusCode).toBe(403);
    expect((await flag(true, await h.stranger('acquirer_reviewer'))).statusCode).toBe(404);
    expect((await flag(true)).json().flagged).toBe(true);
    const key = await h.apiKey(['refunds:write', 'read']);
    const refund = async () =>
      (
        await h.app.inject({
          method: 'POST',
          url: '/api/v1/refunds',
          headers: key,
          payload: { paymentId: sale.id, amount: 1_000, reason: 'other' },
        })
      ).json().id as string;
    const held = await refund();
    await h.drain();
    const heldNow = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${held}`, headers: key })).json();
    expect(heldNow).toMatchObject({ status: 'pending_acquirer', acquirerReview: 'manual' });
    await flag(false);
    const free = await refund();
    await h.drain();
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${free}`, headers: key })).json().status).toBe(
      'succeeded',
    );
  });
});
