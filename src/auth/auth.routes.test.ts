import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { MINUTE } from '../clock.js';

describe.each(engines())('sessions and API keys (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  const me = (headers: Record<string, string>) => h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers });
  const login = (email: string, password: string) =>
    h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

  it('answers an unknown e-mail and a wrong password alike', async () => {
    const unknown = await login('nobody@merchant.demo', 'Owner-Demo-2026!');
    const wrong = await login('owner@merchant.demo', 'Owner-Demo-2027!');
    expect(unknown.statusCode).toBe(401);
    expect({ ...unknown.json(), requestId: 0 }).toEqual({ ...wrong.json(), requestId: 0 });
  });

  it('stores tokens and API keys only as hashes', async () => {
    const token = (await login('owner@merchant.demo', 'Owner-Demo-2026!')).json().token as string;
    const key = await h.apiKey(['read']);
    const secret = key.authorization.slice('Bearer '.length);
    const sessions = JSON.stringify(await h.db.kysely.selectFrom('sessions').selectAll().execute());
    const keys = JSON.stringify(await h.db.kysely.selectFrom('api_keys').selectAll().execute());
    expect(sessions).not.toContain(token);
    expect(keys).not.toContain(secret);
    expect(token.length).toBeGreaterThanOrEqual(40); // ≥ 256 bits, base64url
  });

  it('ends a session idle for 30 minutes, and any session after 12 hours however busy', async () => {
    const headers = {
      authorization: `Bearer ${(await login('owner@merchant.demo', 'Owner-Demo-2026!')).json().token}`,
    };
    h.clock.advance(29 * MINUTE);
    expect((await me(headers)).statusCode).toBe(200);
    h.clock.advance(31 * MINUTE);
    expect((await me(headers)).statusCode).toBe(401);

    const busy = { authorization: `Bearer ${(await login('owner@merchant.demo', 'Owner-Demo-2026!')).json().token}` };
    for (let i = 0; i < 28; i++) {
      h.clock.advance(25 * MINUTE); // 11 h 40 min in all, never idle for 30
      expect((await me(busy)).statusCode).toBe(200);
    }
    h.clock.advance(25 * MINUTE);
    expect((await me(busy)).statusCode).toBe(401);
  });

  it('refuses a revoked API key and a key without the scope; another merchant cannot revoke it', async () => {
    const owner = { authorization: `Bearer ${(await login('owner@merchant.demo', 'Owner-Demo-2026!')).json().token}` };
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: owner,
      payload: { name: 'erp', scopes: ['read'] },
    });
    const key = { authorization: `Bearer ${created.json().secret}` };
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/terminals', headers: key })).statusCode).toBe(200);
    const sale = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: key,
      payload: { amount: 100, card: { number: '4111111111111111' }, terminalId: h.ids.terminalId },
    });
    expect(sale.json().code).toBe('insufficient_scope');
    const url = `/api/v1/api-keys/${created.json().id}`;
    expect((await h.app.inject({ method: 'DELETE', url, headers: await h.login('otherOwner') })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/terminals', headers: key })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url, headers: owner })).statusCode).toBe(204);
    const after = await h.app.inject({ method: 'GET', url: '/api/v1/terminals', headers: key });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('unauthenticated');
  });
});
