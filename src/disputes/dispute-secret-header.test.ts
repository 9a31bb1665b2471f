import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { disputeRequests } from './dispute.http-fixtures.js';

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
  const requests = disputeRequests(() => h);
  beforeAll(async () => {
    h = await openHarness(engine);
    ({ refundId, secret, disputeId } = await requests.rejectedDispute(requests.nextIp()));
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
