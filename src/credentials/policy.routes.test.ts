import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';

describe.each(engines())('the merchant’s password policy over HTTP (%s)', (engine) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(engine);
  });
  afterEach(() => h?.close());

  const url = (merchantId = h.ids.merchantId) => `/api/v1/merchants/${merchantId}/password-policy`;
  const get = (headers: Record<string, string>, merchantId?: string) =>
    h.app.inject({ method: 'GET', url: url(merchantId), headers });
  const put = (headers: Record<string, string>, payload: Record<string, unknown>, merchantId?: string) =>
    h.app.inject({ method: 'PUT', url: url(merchantId), headers, payload, remoteAddress: '203.0.113.9' });
  const stored = async () =>
    (
      await h.db.kysely
        .selectFrom('merchants')
        .select('password_policy')
        .where('id', '=', h.ids.merchantId)
        .executeTakeFirstOrThrow()
    ).password_policy;

  it('shows the owner the platform policy, then sets an override, applies it and audits it', async () => {
    const owner = await h.login('owner');
    const before = await get(owner);
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json()).toMatchObject({
      merchantId: h.ids.merchantId,
      override: null,
      policy: { refundPassword: { minLength: 6, maxLength: 12, expiryDays: 90 }, lockout: { maxFailures: 5 } },
    });

    const set = await put(owner, { minLength: 8, maxFailures: 3, lockMinutes: 60 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({
      override: { refundPassword: { minLength: 8 }, lockout: { maxFailures: 3, lockMinutes: 60 } },
      policy: { refundPassword: { minLength: 8, maxLength: 12 }, lockout: { maxFailures: 3, lockMinutes: 60 } },
    });
    expect((await get(owner)).json().override).toEqual(set.json().override);
    const change = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
      headers: owner,
      payload: { currentPassword: '731946', newPassword: '480263', confirmPassword: '480263' },
    });
    expect(change.json().code).toBe('password_too_short');

    const events = await h.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'password_policy.changed')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ chain: h.ids.merchantId, actor_kind: 'user', ip: '203.0.113.9' });
    expect(JSON.parse(events[0].details)).toEqual({
      cleared: false,
      set: { minLength: 8, maxFailures: 3, lockMinutes: 60 },
    });

    const cleared = await put(owner, { clear: true });
    expect(cleared.json()).toMatchObject({ override: null, policy: { refundPassword: { minLength: 6 } } });
  });

  it('refuses settings outside PCI DSS, min above max and unknown fields with 400, changing nothing', async () => {
    const owner = await h.login('owner');
    for (const body of [
      { maxFailures: 11 },
      { maxFailures: 2 },
      { lockMinutes: 10 },
      { expiryDays: 365 },
      { expiryDays: 0 },
      { historySize: 3 },
      { minLength: 5 },
      { minLength: 8.5 },
      { maxFailures: '5' },
      { lockAfter: 5 },
    ]) {
      const r = await put(owner, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json().code).toBe('validation_failed');
    }
    const minAboveMax = await put(owner, { minLength: 14 });
    expect(minAboveMax.statusCode).toBe(400);
    expect(minAboveMax.json().detail).toContain('above max length 12');
    expect(await stored()).toBeNull();
  });

  it('is the owner’s alone: other roles get 403, another merchant’s owner 404, and nothing changes', async () => {
    for (const headers of [
      await h.operator('cashier'),
      await h.operator('supervisor'),
      await h.login('reviewer'),
      await h.login('agent'),
      await h.login('admin'),
      await h.apiKey(['read', 'payments:write', 'refunds:write']),
    ]) {
      expect((await get(headers)).statusCode).toBe(403);
      const r = await put(headers, { maxFailures: 3 });
      expect(r.statusCode).toBe(403);
      expect(r.json().code).toMatch(/^(forbidden|insufficient_scope)$/);
    }
    const stranger = await h.login('otherOwner');
    expect((await get(stranger)).json()).toMatchObject({ status: 404, code: 'not_found' });
    expect((await put(stranger, { maxFailures: 3 })).json()).toMatchObject({ status: 404, code: 'not_found' });
    expect((await get(stranger, h.ids.otherMerchantId)).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: url() })).statusCode).toBe(401);
    expect(await stored()).toBeNull();
  });

  it('is in the OpenAPI document, GET and PUT, with its problem responses', async () => {
    const spec = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const path = spec.paths['/api/v1/merchants/{id}/password-policy'];
    expect(Object.keys(path ?? {}).sort()).toEqual(['get', 'put']);
    expect(Object.keys(path.put.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
    const body = path.put.requestBody.content['application/json'].schema;
    expect(body.properties.maxFailures).toMatchObject({ type: 'integer', minimum: 3, maximum: 10 });
  });
});
