import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';

describe.each(engines())('counter refunds over HTTP (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('refunds part of a sale, then the worker takes it to succeeded with a full timeline', async () => {
    const sale = await h.sale(10_000, { settled: true });
    const headers = await h.operator('cashier');
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers,
      payload: { paymentId: sale.id, amount: 2_500, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
    expect(r.statusCode, r.body).toBe(201);
    const refund = r.json();
    expect(refund.status).toBe('pending_acquirer');
    expect(refund.timeline).toHaveLength(1);

    const p = await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sale.id}`, headers });
    expect(p.json()).toMatchObject({ refundedAmount: 0, pendingRefundAmount: 2_500, refundableAmount: 7_500 });

    await h.drain();
    const done = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${refund.id}`, headers })).json();
    expect(done.status).toBe('succeeded');
    expect(done.timeline.map((e: { to: string }) => e.to)).toEqual(['pending_acquirer', 'processing', 'succeeded']);
    expect(done.processorReference).toMatch(/^\d{23}$/);
    const after = (await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sale.id}`, headers })).json();
    expect(after).toMatchObject({ refundedAmount: 2_500, pendingRefundAmount: 0, refundableAmount: 7_500 });
  });

  it('rejects a refund larger than the refundable amount with 422 refund_exceeds_refundable', async () => {
    const sale = await h.sale(1_000);
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: sale.id, amount: 1_001, reason: 'wrong_amount', refundPassword: REFUND_PASSWORD },
    });
    expect(r.statusCode).toBe(422);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json().code).toBe('refund_exceeds_refundable');
  });

  it('refuses a wrong refund password and reserves nothing', async () => {
    const sale = await h.sale(1_000);
    const headers = await h.operator('cashier');
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers,
      payload: { paymentId: sale.id, amount: 100, reason: 'other', refundPassword: '000000' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('refund_password_invalid');
    const p = (await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sale.id}`, headers })).json();
    expect(p.refundableAmount).toBe(1_000);
  });

  it('lets an API key with refunds:write refund without the refund password', async () => {
    const sale = await h.sale(3_000);
    const key = await h.apiKey(['refunds:write', 'read']);
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: key,
      payload: { paymentId: sale.id, amount: 3_000, reason: 'duplicate' },
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().channel).toBe('api');
  });

  it('replays an Idempotency-Key and refuses it with a different body', async () => {
    const sale = await h.sale(5_000);
    const headers = { ...(await h.operator('cashier')), 'idempotency-key': `k-${engine}-1` };
    const body = { paymentId: sale.id, amount: 700, reason: 'goods_returned', refundPassword: REFUND_PASSWORD };
    const a = await h.app.inject({ method: 'POST', url: '/api/v1/refunds', headers, payload: body });
    const b = await h.app.inject({ method: 'POST', url: '/api/v1/refunds', headers, payload: body });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json().id).toBe(a.json().id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    const c = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers,
      payload: { ...body, amount: 701 },
    });
    expect(c.statusCode).toBe(409);
    expect(c.json().code).toBe('idempotency_conflict');
    const list = (await h.app.inject({ method: 'GET', url: `/api/v1/refunds?paymentId=${sale.id}`, headers })).json();
    expect(list.data).toHaveLength(1);
  });

  it('hides merchant A’s payment from merchant B’s operator (404) and refuses its refund', async () => {
    const sale = await h.sale(2_000);
    const other = await h.operator('cashier', 'other');
    const g = await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sale.id}`, headers: other });
    expect(g.statusCode).toBe(404);
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: other,
      payload: { paymentId: sale.id, amount: 100, reason: 'other', refundPassword: '604825' },
    });
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe('not_found');
  });
});
