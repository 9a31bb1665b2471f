import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';

describe.each(engines())('tracking a refund with the secret in a header (%s)', (engine) => {
  let h: Harness;
  let id: string;
  let trackingSecret: string;
  beforeAll(async () => {
    h = await openHarness(engine);
    const sale = await h.sale(8_000);
    const r = await h.app.inject({
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
    expect(r.statusCode, r.body).toBe(201);
    ({ id, trackingSecret } = r.json());
  });
  afterAll(() => h?.close());

  const track = (secret: string) =>
    h.app.inject({
      method: 'GET',
      url: `/api/v1/public/refunds/${id}?lang=en`,
      headers: { 'x-tracking-secret': secret },
    });

  it('answers the timeline to X-Tracking-Secret, so the secret need not be in the URL', async () => {
    const r = await track(trackingSecret);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ id, status: 'pending_merchant', amount: 3_000 });
  });

  it('refuses a wrong secret in the header as it does in the query', async () => {
    const header = await track(`${trackingSecret}x`);
    const query = await h.app.inject({ method: 'GET', url: `/api/v1/public/refunds/${id}?secret=${trackingSecret}x` });
    expect(expectProblem(header).code).toBe(expectProblem(query).code);
    expect(header.statusCode).toBe(query.statusCode);
  });
});
