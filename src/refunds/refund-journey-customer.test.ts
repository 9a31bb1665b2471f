import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, REFUND_PASSWORD, useHarness } from '../../test/support/harness.js';
import { DAY } from '../clock.js';
import { CUSTOMER } from './refund.fixtures.js';
import { journeyRequests } from './refund-journey.fixtures.js';

/** The customer's side of the journey, over HTTP: asking, tracking, withdrawing, replays, limits, the policy. */
describe.each(engines())('the refund journey: the customer’s requests (%s)', (engine) => {
  let h: Harness;
  useHarness(engine, (opened) => (h = opened), 'test');
  const { ask, track, merchantDecision, setPolicy, refundableOf } = journeyRequests(() => h);

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
});
