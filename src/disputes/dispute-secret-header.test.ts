import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';

/**
 * The customer reads their dispute with the secret in `X-Tracking-Secret` (the page does), so it
 * need not be in a URL; `?secret=` still works for older clients. The refund's tracking view
 * names the dispute opened on it.
 */
describe.each(engines())('reading a dispute with the customer’s secret in a header (%s)', (engine) => {
  let h: Harness;
  let refundId: string;
  let secret: string;
  let disputeId: string;
  beforeAll(async () => {
    h = await openHarness(engine);
    const sale = await h.sale(8_000);
    const asked = await h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      payload: {
        paymentReference: sale.reference,
        cardLast4: '1111',
        amount: 3_000,
        reason: 'goods_returned',
        description: 'wrong size',
        contact: { email: 'li.lei@example.cn' },
        language: 'en',
      },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    ({ id: refundId, trackingSecret: secret } = asked.json());
    const rejected = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${refundId}/merchant-decision`,
      headers: await h.login('owner'),
      payload: { decision: 'reject', reason: 'the goods came back used', refundPassword: REFUND_PASSWORD },
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    const opened = await h.app.inject({
      method: 'POST',
      url: '/api/v1/disputes',
      payload: { refundId, trackingSecret: secret, description: 'they were not used', language: 'en' },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    disputeId = opened.json().id;
  });
  afterAll(() => h?.close());

  const read = (headers: Record<string, string>, query = '') =>
    h.app.inject({ method: 'GET', url: `/api/v1/disputes/${disputeId}${query}`, headers });

  it('answers the dispute to X-Tracking-Secret, not to be stored by a cache', async () => {
    const r = await read({ 'x-tracking-secret': secret });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ id: disputeId, status: 'negotiating', refundId });
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('refuses a wrong or missing secret as the query did, and still takes ?secret=', async () => {
    const wrongHeader = await read({ 'x-tracking-secret': `${secret}x` });
    const wrongQuery = await read({}, `?secret=${encodeURIComponent(`${secret}x`)}`);
    expect(wrongHeader.statusCode).toBe(404);
    expect(expectProblem(wrongHeader).code).toBe(expectProblem(wrongQuery).code);
    expect(expectProblem(await read({})).code).toBe('unauthenticated');
    expect((await read({}, `?secret=${encodeURIComponent(secret)}`)).statusCode).toBe(200);
  });

  it('names the dispute on the refund’s tracking view', async () => {
    const v = await h.app.inject({
      method: 'GET',
      url: `/api/v1/public/refunds/${refundId}`,
      headers: { 'x-tracking-secret': secret },
    });
    expect(v.json()).toMatchObject({ status: 'rejected_by_merchant', disputeId, disputeAllowed: false });
  });
});
