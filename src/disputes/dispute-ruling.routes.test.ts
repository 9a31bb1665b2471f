import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import { DAY, HOUR } from '../clock.js';
import { type Body, disputeRequests } from './dispute.http-fixtures.js';

describe.each(engines())('disputes over HTTP: rulings (%s)', (engine) => {
  let h: Harness;
  const { nextIp, openDispute, paymentDispute, get, post } = disputeRequests(() => h);

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

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

    const rulerIp = nextIp();
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
      { headers: await h.login('reviewer'), ip: rulerIp },
    );
    expect(ruled.statusCode, ruled.body).toBe(200);
    // PCI DSS 10.2.2: the refund the ruling orders names the reviewer and where the ruling came from.
    const audit = await listAuditEvents(h.db, h.ctx, systemActor, {
      merchantId: h.ids.merchantId,
      objectId: ruled.json().refundId,
      limit: 100,
    });
    const created = audit.data.find((e) => e.action === 'refund.created');
    expect(created).toMatchObject({ actor: { kind: 'user' }, ip: rulerIp });
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
    // A later retry with the key answers the same ruling and refund, marked as a replay.
    const replay = await post(id, 'decision', ruling, { headers: keyed });
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toMatchObject({ refundId: forcedId, dispute: { id, status: 'resolved_for_customer' } });
    const conflict = await post(id, 'decision', { ...ruling, ruling: 'something else' }, { headers: keyed });
    expect(conflict.json().code).toBe('idempotency_conflict');
    const again = await post(id, 'decision', ruling, { headers: reviewerHeaders });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('invalid_transition');
    const admin = await h.login('admin');
    refund = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${forcedId}`, headers: admin })).json();
    expect(refund).toMatchObject({ amount: 3_000, status: 'processing', disputeId: id, paymentId: sale.id });
    expect(refund.timeline.map((e: Body) => e.note).join(' ')).toContain(id);
    // The customer follows the ordered refund on the dispute, in plain words, in the language asked.
    const asCustomer = async (lang: string) =>
      (
        await h.app.inject({
          method: 'GET',
          url: `/api/v1/disputes/${id}?lang=${lang}`,
          headers: { 'x-tracking-secret': secret },
          remoteAddress: ip,
        })
      ).json().orderedRefund;
    expect(await asCustomer('zh-CN')).toMatchObject({
      id: forcedId,
      status: 'processing',
      statusText: '审核通过，正在退款',
      amount: 3_000,
      processorReference: null,
    });
    expect((await asCustomer('en')).statusText).toBe('Approved; the refund is being sent');

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
    const arrived = await asCustomer('en');
    expect(arrived).toMatchObject({ status: 'succeeded', statusText: 'Refund succeeded', amountText: '30.00 CNY' });
    expect(arrived.processorReference).toEqual(expect.any(String));
    expect(arrived.timeline.map((e: Body) => e.status)).toEqual(['pending_acquirer', 'processing', 'succeeded']);

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
});
