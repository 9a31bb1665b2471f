import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { type TestSmtp, useSmtpHarness } from '../../test/support/smtp-harness.js';
import { DAY } from '../clock.js';
import { CUSTOMER } from './refund.fixtures.js';
import { journeyRequests } from './refund-journey.fixtures.js';

/** The acquirer's rules, the processor's failures and retries, and the merchant's cancel, over HTTP. */
describe.each(engines())('the refund journey: rules, failures, retries, cancels (%s)', (engine) => {
  let h: Harness;
  let smtp: TestSmtp;
  useSmtpHarness(engine, (opened) => ({ h, smtp } = opened));
  const { ask, track, merchantDecision, acquirerDecision, setPolicy, refundableOf } = journeyRequests(() => h);

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
