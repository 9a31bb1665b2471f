import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiKeyScope, merchantRoles, type Role } from '../../src/auth/actor.js';
import type { RouteAuth } from '../../src/http/auth-hook.js';
import { DEMO } from '../../src/seed/demo.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';
import { expectProblem } from './helpers.js';

type Headers = Record<string, string>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Whose objects a principal reaches: its merchant's, or (overseers) every merchant's here. */
type Reach = 'main' | 'other' | 'all';

interface Principal {
  name: string;
  role: Role;
  scopes: readonly ApiKeyScope[];
  reach: Reach;
  headers: Headers;
}

/** A route as the running app declares it: read from its `config.auth`, not from this file. */
interface DeclaredRoute {
  method: Method;
  url: string;
  auth: RouteAuth | undefined;
}

/** The objects a request may point at, one set per merchant. */
interface Objects {
  merchant: string;
  terminal: string;
  sale: string;
  voidSale: string;
  refund: string;
  cancelRefund: string;
  apiKey: string;
  refundPassword: string;
}

interface Fixture {
  params?: (o: Objects) => Record<string, string>;
  body?: (o: Objects) => unknown;
  /** Whether the request reaches one merchant's object, so another tenant must get 404. */
  tenantBound: boolean | ((p: Principal) => boolean);
}

/**
 * Requests that reach the business logic for the routes that exist; a route without a fixture is
 * still checked for 401/403, with placeholder parameters.
 */
const FIXTURES: Record<string, Fixture> = {
  'GET /api/v1/auth/me': { tenantBound: false },
  'POST /api/v1/api-keys': { body: () => ({ name: 'matrix', scopes: ['read'] }), tenantBound: false },
  'GET /api/v1/api-keys': { tenantBound: false },
  'DELETE /api/v1/api-keys/:id': { params: (o) => ({ id: o.apiKey }), tenantBound: true },
  'GET /api/v1/terminals': { tenantBound: false },
  'GET /api/v1/terminals/:id': { params: (o) => ({ id: o.terminal }), tenantBound: true },
  'POST /api/v1/terminals/:id/settle': { params: (o) => ({ id: o.terminal }), tenantBound: true },
  'GET /api/v1/merchants/:id': { params: (o) => ({ id: o.merchant }), tenantBound: true },
  'POST /api/v1/payments': {
    body: (o) => ({ amount: 100, card: { number: '4111111111111111' }, terminalId: o.terminal }),
    // Operators always sell on their own terminal; only an API key names one.
    tenantBound: (p) => p.role === 'api_key',
  },
  'GET /api/v1/payments': { tenantBound: false },
  'GET /api/v1/payments/:id': { params: (o) => ({ id: o.sale }), tenantBound: true },
  'GET /api/v1/payments/:id/receipt': { params: (o) => ({ id: o.sale }), tenantBound: true },
  'POST /api/v1/payments/:id/void': {
    params: (o) => ({ id: o.voidSale }),
    body: (o) => ({ refundPassword: o.refundPassword }),
    tenantBound: true,
  },
  'POST /api/v1/refunds': {
    body: (o) => ({ paymentId: o.sale, amount: 1, reason: 'other', refundPassword: o.refundPassword }),
    tenantBound: true,
  },
  'GET /api/v1/refunds': { tenantBound: false },
  'GET /api/v1/refunds/:id': { params: (o) => ({ id: o.refund }), tenantBound: true },
  'GET /api/v1/refunds/:id/receipt': { params: (o) => ({ id: o.refund }), tenantBound: true },
  'POST /api/v1/refunds/:id/cancel': { params: (o) => ({ id: o.cancelRefund }), body: () => ({}), tenantBound: true },
  'POST /api/v1/refunds/:id/retry': { params: (o) => ({ id: o.refund }), tenantBound: true },
};

/** Routes anyone may call: the two logins. Every other route must declare who may call it. */
// Public on purpose: the logins, and the customer's pages, which prove themselves with what is on
// the receipt or with the refund's tracking secret (their own tests try wrong proofs).
const PUBLIC = new Set([
  'POST /api/v1/auth/login',
  'POST /api/v1/terminals/:terminalId/login',
  'POST /api/v1/public/refund-requests',
  'GET /api/v1/public/refunds/:id',
  'POST /api/v1/public/refunds/:id/cancel',
  // Disputes: the customer proves itself with the refund's tracking secret or the dispute's access
  // secret; with a bearer token the route checks roles itself (config.disputeAccess).
  'POST /api/v1/disputes',
  'GET /api/v1/disputes/:id',
  'GET /api/v1/disputes/:id/attachments/:attachmentId',
  'POST /api/v1/disputes/:id/messages',
  'POST /api/v1/disputes/:id/escalate',
  'POST /api/v1/disputes/:id/close',
  'POST /api/v1/disputes/:id/refer',
  'POST /api/v1/disputes/:id/rating',
  'GET /api/v1/public/case-files/:token',
]);
/** Ends the caller's session: checked last, with sessions of its own. */
const LOGOUT = 'POST /api/v1/auth/logout';

const keyOf = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

function render(url: string, params: Record<string, string>): string {
  return url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? `x_0${name}`);
}

/** What the declaration says this principal gets: the auth hook's rule, applied to `config.auth`. */
function verdict(route: DeclaredRoute, p: Principal): 'allowed' | 'forbidden' | 'insufficient_scope' {
  const auth = route.auth as RouteAuth;
  if (!auth.roles.includes(p.role)) return 'forbidden';
  if (p.role !== 'api_key') return 'allowed';
  const ok = auth.scope ? p.scopes.includes(auth.scope) : p.scopes.includes('read') && route.method === 'GET';
  return ok ? 'allowed' : 'insufficient_scope';
}

function reaches(p: Principal, owner: 'main' | 'other'): boolean {
  return p.reach === 'all' || p.reach === owner;
}

const AUTH_CODES = ['unauthenticated', 'forbidden', 'insufficient_scope'];

describe.each(engines())('authorization matrix (%s)', (engine) => {
  let h: Harness;
  let routes: DeclaredRoute[] = [];
  let objects: { main: Objects; other: Objects };

  async function session(path: string, payload: Record<string, string>): Promise<Headers> {
    const r = await h.app.inject({ method: 'POST', url: path, payload });
    expect(r.statusCode, r.body).toBe(200);
    return { authorization: `Bearer ${r.json().token}` };
  }

  /** Fresh sessions for everyone (logout ends them, so it gets its own). */
  async function principals(): Promise<Principal[]> {
    const user = (u: { email: string; password: string }) => session('/api/v1/auth/login', u);
    const op = (terminal: string, o: { code: string; password: string }) =>
      session(`/api/v1/terminals/${terminal}/login`, { operator: o.code, password: o.password });
    const key = async (owner: Headers, scopes: ApiKeyScope[]) => {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner,
        payload: { name: `matrix ${scopes.join(' ')}`, scopes },
      });
      expect(r.statusCode, r.body).toBe(201);
      return { authorization: `Bearer ${r.json().secret}` };
    };
    const owner = await user(DEMO.owner);
    const otherOwner = await user(DEMO.other.owner);
    const all: ApiKeyScope[] = ['read', 'payments:write', 'refunds:write'];
    const t = h.ids.terminalId;
    const t2 = h.ids.otherTerminalId;
    const p = (name: string, role: Role, reach: Reach, headers: Headers, scopes: ApiKeyScope[] = []): Principal => ({
      name,
      role,
      reach,
      headers,
      scopes,
    });
    return [
      p('cashier', 'cashier', 'main', await op(t, DEMO.terminal.cashier)),
      p('supervisor', 'supervisor', 'main', await op(t, DEMO.terminal.supervisor)),
      p('merchant owner', 'merchant_owner', 'main', owner),
      p('acquirer reviewer', 'acquirer_reviewer', 'all', await user(DEMO.reviewer)),
      p('agent staff', 'agent_staff', 'all', await user(DEMO.agent)),
      p('platform admin', 'platform_admin', 'all', await user(DEMO.admin)),
      p('API key [read]', 'api_key', 'main', await key(owner, ['read']), ['read']),
      p('API key [payments:write]', 'api_key', 'main', await key(owner, ['payments:write']), ['payments:write']),
      p('API key [refunds:write]', 'api_key', 'main', await key(owner, ['refunds:write']), ['refunds:write']),
      p('API key [all scopes]', 'api_key', 'main', await key(owner, all), all),
      p('other merchant’s cashier', 'cashier', 'other', await op(t2, DEMO.other.terminal.cashier)),
      p('other merchant’s supervisor', 'supervisor', 'other', await op(t2, DEMO.other.terminal.supervisor)),
      p('other merchant’s owner', 'merchant_owner', 'other', otherOwner),
      p('other merchant’s API key', 'api_key', 'other', await key(otherOwner, all), all),
    ];
  }

  async function objectsOf(which: 'main' | 'other'): Promise<Objects> {
    const terminal = which === 'main' ? 'main' : 'other';
    const refundPassword = which === 'main' ? REFUND_PASSWORD : DEMO.other.refundPassword;
    const sale = await h.sale(100_000, { terminal });
    const voidSale = await h.sale(1_000, { terminal });
    const cashier = await h.operator('cashier', terminal);
    const refund = async () => {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: cashier,
        payload: { paymentId: sale.id, amount: 100, reason: 'other', refundPassword },
      });
      expect(r.statusCode, r.body).toBe(201);
      return r.json().id as string;
    };
    const owner = await h.login(which === 'main' ? 'owner' : 'otherOwner');
    const key = await h.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: owner,
      payload: { name: 'to revoke', scopes: ['read'] },
    });
    return {
      merchant: which === 'main' ? h.ids.merchantId : h.ids.otherMerchantId,
      terminal: which === 'main' ? h.ids.terminalId : h.ids.otherTerminalId,
      sale: sale.id,
      voidSale: voidSale.id,
      refund: await refund(),
      cancelRefund: await refund(),
      apiKey: key.json().id,
      refundPassword,
    };
  }

  function request(route: DeclaredRoute, o: Objects, headers: Headers) {
    const f = FIXTURES[keyOf(route)];
    const body = f?.body?.(o);
    return h.app.inject({
      method: route.method,
      url: render(route.url, f?.params?.(o) ?? {}),
      headers,
      ...(body === undefined ? {} : { payload: body as object }),
    });
  }

  beforeAll(async () => {
    h = await openHarness(engine);
    // Learn each route's declaration from the running app: the request that hits it carries it.
    const declared = new Map<string, DeclaredRoute>();
    h.app.addHook('onResponse', async (req) => {
      if (!req.routeOptions.url) return;
      const r = { method: req.method as Method, url: req.routeOptions.url, auth: req.routeOptions.config.auth };
      declared.set(keyOf(r), r);
    });
    const spec = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const method of Object.keys(ops)) {
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        await h.app.inject({ method: method.toUpperCase() as Method, url: render(url, {}) });
      }
    }
    routes = [...declared.values()].filter((r) => r.url.startsWith('/api/v1/'));
    objects = { main: await objectsOf('main'), other: await objectsOf('other') };
  });
  afterAll(() => h?.close());

  it('reads a declaration for every documented route, and the fixtures name no route that is gone', () => {
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(FIXTURES).length + 2);
    const keys = new Set(routes.map(keyOf));
    expect(Object.keys(FIXTURES).filter((k) => !keys.has(k))).toEqual([]);
    expect([...PUBLIC, LOGOUT].filter((k) => !keys.has(k))).toEqual([]);
  });

  it('leaves only the logins and the customer’s pages public: every other route declares its roles', () => {
    const undeclared = routes.filter((r) => !r.auth).map(keyOf);
    expect(undeclared.sort()).toEqual([...PUBLIC].sort());
  });

  it('asks every protected route for a token: none, garbage, forged (401 unauthenticated)', async () => {
    const wrong: string[] = [];
    const tokens: Headers[] = [
      {},
      { authorization: 'Bearer garbage' },
      { authorization: `Bearer rds_${'x'.repeat(43)}` },
      { authorization: `Bearer rdk_${'x'.repeat(43)}` },
    ];
    for (const route of routes.filter((r) => r.auth)) {
      for (const headers of tokens) {
        const r = await request(route, objects.main, headers);
        const body = r.statusCode === 401 ? expectProblem(r, keyOf(route)) : {};
        if (r.statusCode !== 401 || body.code !== 'unauthenticated') wrong.push(`${keyOf(route)} → ${r.statusCode}`);
      }
      if (route.method === 'GET') {
        const head = await h.app.inject({ method: 'HEAD', url: render(route.url, {}) });
        if (head.statusCode !== 401) wrong.push(`HEAD ${route.url} → ${head.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('gives each role × route what the route declares, and hides other merchants’ objects (404)', async () => {
    const people = await principals();
    const mismatches: string[] = [];
    const tally = { allowed: 0, forbidden: 0, insufficient_scope: 0, hidden: 0 };
    // Reads first, then writes, so that a void or a settlement does not change what the reads see.
    const order = (r: DeclaredRoute) => (r.method === 'GET' ? 0 : 1);
    const matrix = routes.filter((r) => r.auth && keyOf(r) !== LOGOUT).sort((a, b) => order(a) - order(b));
    for (const route of matrix) {
      const fixture = FIXTURES[keyOf(route)];
      for (const p of people) {
        const r = await request(route, objects.main, p.headers);
        const label = `${keyOf(route)} as ${p.name}: ${r.statusCode} ${r.body.slice(0, 160)}`;
        if (r.statusCode >= 500) {
          mismatches.push(`5xx! ${label}`);
          continue;
        }
        const code = r.statusCode >= 400 ? String(expectProblem(r, label).code) : '';
        const v = verdict(route, p);
        const bound = typeof fixture?.tenantBound === 'function' ? fixture.tenantBound(p) : fixture?.tenantBound;
        if (v !== 'allowed') {
          tally[v]++;
          if (r.statusCode !== 403 || code !== v) mismatches.push(`expected 403 ${v}: ${label}`);
        } else if (bound && !reaches(p, 'main')) {
          tally.hidden++;
          if (r.statusCode !== 404 || code !== 'not_found') mismatches.push(`expected 404 not_found: ${label}`);
        } else {
          tally.allowed++;
          if (AUTH_CODES.includes(code)) mismatches.push(`allowed, got ${code}: ${label}`);
          if (fixture && r.statusCode === 404) mismatches.push(`allowed and in reach, got 404: ${label}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    // The matrix really exercised every outcome.
    for (const n of Object.values(tally)) expect(n).toBeGreaterThan(5);
  });

  it('hides the other merchant’s objects from this merchant’s people (404), both ways', async () => {
    const people = (await principals()).filter((p) => p.reach !== 'all');
    const mismatches: string[] = [];
    let checked = 0;
    for (const route of routes.filter((r) => r.auth && keyOf(r) !== LOGOUT && FIXTURES[keyOf(r)])) {
      const fixture = FIXTURES[keyOf(route)];
      for (const p of people) {
        const bound = typeof fixture.tenantBound === 'function' ? fixture.tenantBound(p) : fixture.tenantBound;
        if (!bound || verdict(route, p) !== 'allowed') continue;
        const target = p.reach === 'main' ? objects.other : objects.main;
        const r = await request(route, target, p.headers);
        checked++;
        if (r.statusCode !== 404 || r.json().code !== 'not_found') {
          mismatches.push(`${keyOf(route)} as ${p.name} on the other merchant’s object: ${r.statusCode} ${r.body}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it('lets the list routes show another merchant’s people none of this merchant’s objects', async () => {
    const other = (await principals()).filter((p) => p.reach === 'other');
    for (const p of other) {
      for (const [url, id] of [
        ['/api/v1/payments?limit=100', objects.main.sale],
        ['/api/v1/refunds?limit=100', objects.main.refund],
        ['/api/v1/terminals', objects.main.terminal],
      ] as const) {
        const r = await h.app.inject({ method: 'GET', url, headers: p.headers });
        if (r.statusCode === 403) continue;
        expect(r.statusCode, `${url} as ${p.name}: ${r.body}`).toBe(200);
        expect(JSON.stringify(r.json().data), `${url} as ${p.name}`).not.toContain(id);
      }
    }
  });

  it('keeps money movement to the merchant’s own people', () => {
    const moneyRoutes = [
      'POST /api/v1/payments',
      'POST /api/v1/payments/:id/void',
      'POST /api/v1/refunds',
      'POST /api/v1/refunds/:id/cancel',
    ];
    for (const key of moneyRoutes) {
      const route = routes.find((r) => keyOf(r) === key);
      expect(route?.auth, key).toBeDefined();
      const outsiders = route?.auth?.roles.filter((role) => !merchantRoles.includes(role));
      expect(outsiders, `${key} lets ${outsiders?.join(', ')} move a merchant's money`).toEqual([]);
      if (route?.auth?.roles.includes('api_key'))
        expect(route.auth.scope, `${key} needs an API key scope`).toBeTruthy();
    }
  });

  it('ends only the caller’s session on logout; an API key cannot log out', async () => {
    const route = routes.find((r) => keyOf(r) === LOGOUT) as DeclaredRoute;
    const people = await principals();
    const mismatches: string[] = [];
    for (const p of people) {
      const r = await h.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: p.headers });
      const v = verdict(route, p);
      const expected = v === 'allowed' ? 204 : 403;
      if (r.statusCode !== expected) mismatches.push(`${p.name}: expected ${expected}, got ${r.statusCode} ${r.body}`);
      const me = await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: p.headers });
      const after = v === 'allowed' ? 401 : p.scopes.includes('read') ? 200 : 403;
      if (me.statusCode !== after) mismatches.push(`${p.name} after logout: expected ${after}, got ${me.statusCode}`);
    }
    expect(mismatches).toEqual([]);
  });
});
