import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiKeyScope, merchantRoles, type Role } from '../../src/auth/actor.js';
import * as users from '../../src/auth/user.service.js';
import { runBackup } from '../../src/backups/backup-run.service.js';
import { transaction } from '../../src/db/transaction.js';
import * as merchants from '../../src/merchants/merchant.service.js';
import * as operators from '../../src/operators/operator.service.js';
import { TEST_CARDS } from '../../src/payments/processor.js';
import { DEMO } from '../../src/seed/demo.js';
import * as terminals from '../../src/terminals/terminal.service.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';
import {
  type Answer,
  DEVIATIONS,
  type DeclaredRoute,
  FIXTURES,
  type Fixture,
  type Fresh,
  type Headers,
  type Method,
  type Objects,
  type Owner,
  type Principal,
  type Reach,
} from './authorization.fixtures.js';
import { expectProblem } from './helpers.js';

/** Routes anyone may call: the two logins. Every other route must declare who may call it. */
// Public on purpose: the logins, and the customer's pages, which prove themselves with what is on
// the receipt or with the refund's tracking secret (checked below with wrong proofs).
const PUBLIC = new Set([
  'POST /api/v1/auth/login',
  'POST /api/v1/terminals/:terminalId/login',
  // A terminal's screen finds itself by its serial (printed on the device): no secret, no people.
  'GET /api/v1/public/terminals/:serial',
  'POST /api/v1/public/refund-requests',
  'GET /api/v1/public/refunds/:id',
  'POST /api/v1/public/refunds/:id/cancel',
  // Disputes: the customer proves itself with the refund's tracking secret or the dispute's access
  // secret; with a bearer token the auth hook holds the caller to the roles (auth.optional).
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

/** Who may call with a bearer token: `config.auth` (optional or not). */
function guardOf(route: DeclaredRoute): { roles: readonly Role[]; scope?: ApiKeyScope } | undefined {
  return route.auth;
}

/** What the declaration says this principal gets: the auth hook's rule, applied to the declaration. */
function verdict(route: DeclaredRoute, p: Principal): 'allowed' | 'forbidden' | 'insufficient_scope' {
  const guard = guardOf(route) as NonNullable<ReturnType<typeof guardOf>>;
  if (!guard.roles.includes(p.role)) return 'forbidden';
  if (p.role !== 'api_key') return 'allowed';
  const ok = guard.scope ? p.scopes.includes(guard.scope) : p.scopes.includes('read') && route.method === 'GET';
  return ok ? 'allowed' : 'insufficient_scope';
}

function reaches(p: Principal, owner: Owner): boolean {
  return p.reach === 'all' || p.reach === owner;
}

function boundFor(f: Fixture | undefined, p: Principal): boolean {
  return typeof f?.tenantBound === 'function' ? f.tenantBound(p) : !!f?.tenantBound;
}

/** Whether the fixture's object (of `owner`, on `terminal`) is out of the principal's reach. */
function hiddenFrom(p: Principal, f: Fixture | undefined, owner: Owner, terminal: string): boolean {
  if (!boundFor(f, p)) return false;
  if (!reaches(p, owner)) return true;
  const acts = f?.terminal === 'act' || f?.terminal === 'act+see';
  const sees = f?.terminal === 'see' || f?.terminal === 'act+see';
  if (acts && p.terminal !== undefined && p.terminal !== terminal) return true;
  return sees && p.serves !== undefined && !p.serves.includes(terminal);
}

/** Why an answer is not the one expected, or undefined when it is. */
function differs(r: LightMyRequestResponse, body: Record<string, unknown>, want: Answer): string | undefined {
  if (r.statusCode !== want.status) return `expected ${want.status} ${want.code ?? ''}`;
  if (want.code && body.code !== want.code) return `expected code ${want.code}`;
  if (want.detail && !want.detail.test(String(body.detail))) return `expected detail ${want.detail}`;
  return undefined;
}

/** A problem without its request id, to compare two answers for sameness. */
function problemOf(r: LightMyRequestResponse): Record<string, unknown> {
  const { requestId: _, ...rest } = r.json();
  return { status: r.statusCode, ...rest };
}

const AUTH_CODES = ['unauthenticated', 'forbidden', 'insufficient_scope'];

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe.each(engines())('authorization matrix (%s)', (engine) => {
  let h: Harness;
  let routes: DeclaredRoute[] = [];
  let objects: Record<Owner, Objects>;
  let manualReview: string;
  /** Each customer-side step acts from its own address, so the public rate limits never meet. */
  let ipSeq = 0;
  const nextIp = () => `203.0.113.${++ipSeq}`;

  const owners = { main: 'owner', other: 'otherOwner' } as const;

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
    const p = (
      name: string,
      role: Role,
      reach: Reach,
      headers: Headers,
      extra: Partial<Pick<Principal, 'scopes' | 'password' | 'terminal' | 'serves'>> = {},
    ): Principal => ({ name, role, reach, headers, ...extra, scopes: extra.scopes ?? [] });
    const [mine, theirs] = [DEMO.terminal, DEMO.other.terminal];
    return [
      p('cashier', 'cashier', 'main', await op(t, mine.cashier), { password: mine.cashier.password, terminal: t }),
      p('supervisor', 'supervisor', 'main', await op(t, mine.supervisor), {
        password: mine.supervisor.password,
        terminal: t,
      }),
      p('merchant owner', 'merchant_owner', 'main', owner, { password: DEMO.owner.password }),
      p('acquirer reviewer', 'acquirer_reviewer', 'all', await user(DEMO.reviewer), {
        password: DEMO.reviewer.password,
      }),
      p('agent staff', 'agent_staff', 'all', await user(DEMO.agent), {
        password: DEMO.agent.password,
        serves: [t, t2],
      }),
      p('platform admin', 'platform_admin', 'all', await user(DEMO.admin), { password: DEMO.admin.password }),
      p('API key [read]', 'api_key', 'main', await key(owner, ['read']), { scopes: ['read'] }),
      p('API key [payments:write]', 'api_key', 'main', await key(owner, ['payments:write']), {
        scopes: ['payments:write'],
      }),
      p('API key [refunds:write]', 'api_key', 'main', await key(owner, ['refunds:write']), {
        scopes: ['refunds:write'],
      }),
      p('API key [all scopes]', 'api_key', 'main', await key(owner, all), { scopes: all }),
      p('other merchant’s cashier', 'cashier', 'other', await op(t2, theirs.cashier), {
        password: theirs.cashier.password,
        terminal: t2,
      }),
      p('other merchant’s supervisor', 'supervisor', 'other', await op(t2, theirs.supervisor), {
        password: theirs.supervisor.password,
        terminal: t2,
      }),
      p('other merchant’s owner', 'merchant_owner', 'other', otherOwner, { password: DEMO.other.owner.password }),
      p('other merchant’s API key', 'api_key', 'other', await key(otherOwner, all), { scopes: all }),
      p('other acquirer’s reviewer', 'acquirer_reviewer', 'none', await h.stranger('acquirer_reviewer')),
      p('other agency’s agent', 'agent_staff', 'none', await h.stranger('agent_staff'), { serves: [] }),
    ];
  }

  async function inject(method: Method, url: string, headers: Headers, payload?: object, ip?: string) {
    return h.app.inject({ method, url, headers, remoteAddress: ip, ...(payload ? { payload } : {}) });
  }

  async function created(method: Method, url: string, headers: Headers, payload?: object, ip?: string) {
    const r = await inject(method, url, headers, payload, ip);
    expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
    return r.json();
  }

  async function counterRefund(which: Owner, paymentId: string, amount: number): Promise<string> {
    const refundPassword = which === 'main' ? REFUND_PASSWORD : DEMO.other.refundPassword;
    const r = await created('POST', '/api/v1/refunds', await h.operator('cashier', which), {
      paymentId,
      amount,
      reason: 'other',
      refundPassword,
    });
    return r.id;
  }

  /** Makes a fresh object; `dispose` clears what a refused request left (a merchant has at most 16 endpoints). */
  const makers: Record<
    Fresh,
    { make: (which: Owner) => Promise<string>; dispose?: (which: Owner, id: string) => Promise<void> }
  > = {
    apiKey: {
      make: async (which) =>
        (
          await created('POST', '/api/v1/api-keys', await h.login(owners[which]), {
            name: 'to revoke',
            scopes: ['read'],
          })
        ).id,
    },
    webhook: {
      make: async (which) =>
        (
          await created('POST', '/api/v1/webhook-endpoints', await h.login(owners[which]), {
            url: 'https://hooks.example.com/to-delete',
            events: ['refund.succeeded'],
          })
        ).id,
      dispose: async (which, id) => {
        const r = await inject('DELETE', `/api/v1/webhook-endpoints/${id}`, await h.login(owners[which]));
        expect([204, 404], r.body).toContain(r.statusCode);
      },
    },
    cancelRefund: { make: (which) => counterRefund(which, objects[which].sale, 100) },
    voidSale: { make: async (which) => (await h.sale(1_000, { terminal: which })).id },
  };

  async function objectsOf(which: Owner): Promise<Objects> {
    const terminal = which === 'main' ? h.ids.terminalId : h.ids.otherTerminalId;
    const owner = await h.login(owners[which]);
    const sale = await h.sale(100_000, { terminal: which });
    const card = (s: Record<string, unknown>) => (s.card as { last4: string }).last4;

    const reviewSale = await h.sale(20_000, { terminal: which });
    const request = await created(
      'POST',
      '/api/v1/public/refund-requests',
      {},
      {
        paymentReference: reviewSale.reference,
        cardLast4: card(reviewSale),
        amount: 5_000,
        reason: 'goods_returned',
        description: 'the authorization matrix asks',
        contact: { email: `customer-${which}@example.com` },
      },
      nextIp(),
    );
    expect(request.status).toBe('pending_merchant');

    const disputeSale = await h.sale(30_000, { terminal: which });
    const ip = nextIp();
    const dispute = await created(
      'POST',
      '/api/v1/disputes',
      {},
      {
        paymentReference: disputeSale.reference,
        cardLast4: card(disputeSale),
        description: 'charged twice',
        reason: 'duplicate',
        contact: { email: `disputer-${which}@example.com` },
      },
      ip,
    );
    const thread = await created(
      'POST',
      `/api/v1/disputes/${dispute.id}/messages`,
      {},
      {
        body: 'the receipt',
        secret: dispute.accessSecret,
        attachments: [{ filename: 'receipt.png', contentType: 'image/png', dataBase64: PNG }],
      },
      ip,
    );
    const challenge = await created(
      'POST',
      `/api/v1/terminals/${terminal}/unlock-challenge`,
      await h.operator('cashier', which),
    );
    const webhook = await created('POST', '/api/v1/webhook-endpoints', owner, {
      url: `https://hooks.example.com/${which}`,
      events: ['*'],
    });
    const o: Objects = {
      merchant: which === 'main' ? h.ids.merchantId : h.ids.otherMerchantId,
      terminal,
      sale: sale.id,
      voidSale: '',
      refund: await counterRefund(which, sale.id, 100),
      cancelRefund: '',
      apiKey: await makers.apiKey.make(which),
      refundPassword: which === 'main' ? REFUND_PASSWORD : DEMO.other.refundPassword,
      reviewRefund: request.id,
      trackingSecret: request.trackingSecret,
      challenge: challenge.challenge,
      webhook: webhook.id,
      backupRun: (await runBackup(h.db, h.ctx, { trigger: 'schedule' }))?.id ?? '',
      dispute: dispute.id,
      disputeSecret: dispute.accessSecret,
      attachment: thread.messages[0].attachments[0].id,
    };
    expect(o.attachment).toMatch(/^dpa_/);
    return o;
  }

  /** The route's fixture request on `which` merchant's objects (fresh ones where it uses them up). */
  async function request(route: DeclaredRoute, which: Owner, headers: Headers, p?: Principal, on?: Objects) {
    const f = FIXTURES[keyOf(route)];
    const maker = f?.fresh ? makers[f.fresh] : undefined;
    const made = maker ? await maker.make(which) : undefined;
    const base = on ?? objects[which];
    const o = f?.fresh ? { ...base, [f.fresh]: made } : base;
    const body = f?.body?.(o, p);
    const query = f?.query?.(o);
    const path = render(route.url, f?.params?.(o) ?? {});
    const r = await h.app.inject({
      method: route.method,
      url: query ? `${path}?${new URLSearchParams(query)}` : path,
      headers,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    if (made) await maker?.dispose?.(which, made);
    return r;
  }

  const guarded = () => routes.filter((r) => guardOf(r));

  beforeAll(async () => {
    h = await openHarness(engine);
    // Learn each route's declaration from the running app: the request that hits it carries it.
    const declared = new Map<string, DeclaredRoute>();
    h.app.addHook('onResponse', async (req) => {
      if (!req.routeOptions.url) return;
      const { auth } = req.routeOptions.config;
      const r = { method: req.method as Method, url: req.routeOptions.url, auth };
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
    // A refund above the acquirer's threshold, in its manual review queue. Jobs run only now: what
    // is made below stays as made (and no webhook is ever sent).
    const big = await h.sale(600_000);
    manualReview = await counterRefund('main', big.id, 600_000);
    await h.drain();
    objects = { main: await objectsOf('main'), other: await objectsOf('other') };
  });
  afterAll(() => h?.close());

  it('reads a declaration for every documented route, and the fixtures name no route that is gone', () => {
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(FIXTURES).length + 2);
    const keys = new Set(routes.map(keyOf));
    expect(Object.keys(FIXTURES).filter((k) => !keys.has(k))).toEqual([]);
    expect(Object.keys(DEVIATIONS).filter((k) => !keys.has(k))).toEqual([]);
    expect([...PUBLIC, LOGOUT].filter((k) => !keys.has(k))).toEqual([]);
  });

  it('leaves only the logins and the customer’s pages public: every other route declares its roles', () => {
    const undeclared = routes.filter((r) => !r.auth || r.auth.optional).map(keyOf);
    expect(undeclared.sort()).toEqual([...PUBLIC].sort());
  });

  it('has a fixture for every protected route, tenant-bound wherever the route names an object', () => {
    const missing = guarded()
      .filter((r) => keyOf(r) !== LOGOUT && !FIXTURES[keyOf(r)])
      .map(keyOf);
    expect(missing, 'protected routes without a fixture').toEqual([]);
    for (const [key, f] of Object.entries(FIXTURES)) {
      if (key.includes('/:')) expect(f.tenantBound, `${key} names an object`).not.toBe(false);
      if (f.tenantBound === false) expect(f.why, `${key}: why is it not tenant-bound?`).toBeTruthy();
    }
  });

  it('asks every protected route for a token: none, garbage, forged (401 unauthenticated)', async () => {
    const wrong: string[] = [];
    const tokens: Headers[] = [
      {},
      { authorization: 'Bearer garbage' },
      { authorization: `Bearer rds_${'x'.repeat(43)}` },
      { authorization: `Bearer rdk_${'x'.repeat(43)}` },
    ];
    for (const route of guarded()) {
      for (const headers of tokens) {
        const r = await request(route, 'main', headers);
        const body = r.statusCode === 401 ? expectProblem(r, keyOf(route)) : {};
        if (r.statusCode !== 401 || body.code !== 'unauthenticated') wrong.push(`${keyOf(route)} → ${r.statusCode}`);
      }
      if (route.method === 'GET') {
        const f = FIXTURES[keyOf(route)];
        const head = await h.app.inject({ method: 'HEAD', url: render(route.url, f?.params?.(objects.main) ?? {}) });
        if (head.statusCode !== 401) wrong.push(`HEAD ${route.url} → ${head.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  type Outcome = 'allowed' | 'forbidden' | 'insufficient_scope' | 'hidden' | 'pinned';

  /**
   * Judges one answer of a route to a principal, for an object of `owner` on `terminal`: refused
   * by role or scope (403), hidden (404), or let through to the business logic — and then never
   * an authorization refusal, never a 404, and the fixture's exact answer where it names one.
   */
  function judge(
    route: DeclaredRoute,
    p: Principal,
    r: LightMyRequestResponse,
    owner: Owner,
    terminal: string,
  ): { outcome: Outcome; wrong?: string } {
    const fixture = FIXTURES[keyOf(route)];
    const label = `${keyOf(route)} as ${p.name}: ${r.statusCode} ${r.body.slice(0, 160)}`;
    if (r.statusCode >= 500) return { outcome: 'allowed', wrong: `5xx! ${label}` };
    const body = r.statusCode >= 400 ? expectProblem(r, label) : {};
    const code = String(body.code ?? '');
    const v = verdict(route, p);
    if (v !== 'allowed') {
      return { outcome: v, wrong: r.statusCode !== 403 || code !== v ? `expected 403 ${v}: ${label}` : undefined };
    }
    if (hiddenFrom(p, fixture, owner, terminal)) {
      const deviation = DEVIATIONS[keyOf(route)];
      if (deviation?.hiddenFrom(p)) {
        const why = differs(r, body, deviation.answer);
        return { outcome: 'pinned', wrong: why && `pinned deviation, ${why}: ${label}` };
      }
      const ok = r.statusCode === 404 && code === 'not_found';
      return { outcome: 'hidden', wrong: ok ? undefined : `expected 404 not_found: ${label}` };
    }
    if (AUTH_CODES.includes(code)) return { outcome: 'allowed', wrong: `allowed, got ${code}: ${label}` };
    if (fixture && r.statusCode === 404)
      return { outcome: 'allowed', wrong: `allowed and in reach, got 404: ${label}` };
    const want = typeof fixture?.answer === 'function' ? fixture.answer(p) : fixture?.answer;
    const why = want && differs(r, body, want);
    return { outcome: 'allowed', wrong: why && `${why}: ${label}` };
  }

  it('gives each role × route what the route declares, and hides other tenants’ objects (404)', async () => {
    const people = await principals();
    const mismatches: string[] = [];
    const tally: Record<Outcome, number> = { allowed: 0, forbidden: 0, insufficient_scope: 0, hidden: 0, pinned: 0 };
    // Reads first, then writes, so that a void or a settlement does not change what the reads see.
    const order = (r: DeclaredRoute) => (r.method === 'GET' ? 0 : 1);
    const matrix = guarded()
      .filter((r) => keyOf(r) !== LOGOUT)
      .sort((a, b) => order(a) - order(b));
    for (const route of matrix) {
      for (const p of people) {
        const r = await request(route, 'main', p.headers, p);
        const { outcome, wrong } = judge(route, p, r, 'main', objects.main.terminal);
        tally[outcome]++;
        if (wrong) mismatches.push(wrong);
      }
    }
    expect(mismatches).toEqual([]);
    // The matrix really exercised every outcome.
    for (const n of Object.values(tally)) expect(n).toBeGreaterThan(0);
    expect(tally.hidden).toBeGreaterThan(80);
    // No fixture ended a session or locked anyone out: every answer above was judged on a live one.
    for (const p of people) {
      const me = await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: p.headers });
      expect(me.statusCode, `${p.name} after the matrix: ${me.body}`).not.toBe(401);
    }
    const refund = await counterRefund('main', objects.main.sale, 1);
    expect(refund).toMatch(/^re_/);
  });

  it('hides the other merchant’s objects from this merchant’s people (404), both ways', async () => {
    const people = (await principals()).filter((p) => p.reach !== 'all');
    const mismatches: string[] = [];
    let checked = 0;
    for (const route of guarded().filter((r) => keyOf(r) !== LOGOUT && FIXTURES[keyOf(r)])) {
      const fixture = FIXTURES[keyOf(route)];
      for (const p of people) {
        // This merchant's people on the other's objects; the other's (and outsiders) on this one's
        // (outsiders met this merchant's in the matrix: here, the other merchant's).
        const target: Owner = p.reach === 'other' ? 'main' : 'other';
        if (verdict(route, p) !== 'allowed' || !hiddenFrom(p, fixture, target, objects[target].terminal)) continue;
        const r = await request(route, target, p.headers, p);
        const { outcome, wrong } = judge(route, p, r, target, objects[target].terminal);
        checked++;
        if (outcome !== 'hidden' && outcome !== 'pinned') mismatches.push(`not hidden (${outcome}): ${keyOf(route)}`);
        if (wrong) mismatches.push(`on the ${target} merchant’s object: ${wrong}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(150);
  });

  it('keeps operators to their own terminal, and agents to the terminals their agency serves', async () => {
    // A second terminal of this merchant, served by another agency, with its operators and agent.
    const agency = await transaction(h.db, (tx) => merchants.createAgent(tx, h.ctx, 'Second POS agency'));
    const t3 = (
      await transaction(h.db, (tx) =>
        terminals.createTerminal(tx, h.ctx, { serial: 'T-0003', merchantId: h.ids.merchantId, agentId: agency.id }),
      )
    ).id;
    const ops = { supervisor: { code: '00', password: '940257' }, cashier: { code: '01', password: '6183' } };
    for (const op of [ops.supervisor, ops.cashier]) await operators.addOperator(h.db, h.ctx, { terminalId: t3, ...op });
    const agent = { email: 'agent@second-agency.demo', password: 'Second-Agency-2026!' };
    await users.createUser(h.db, h.ctx, {
      ...agent,
      name: 'Second agency staff',
      role: 'agent_staff',
      agentId: agency.id,
    });
    const op = (o: { code: string; password: string }) =>
      session(`/api/v1/terminals/${t3}/login`, { operator: o.code, password: o.password });
    const theirs: Principal[] = [
      {
        name: 'T-0003 cashier',
        role: 'cashier',
        reach: 'main',
        terminal: t3,
        scopes: [],
        headers: await op(ops.cashier),
      },
      {
        name: 'T-0003 supervisor',
        role: 'supervisor',
        reach: 'main',
        terminal: t3,
        scopes: [],
        headers: await op(ops.supervisor),
      },
      {
        name: 'T-0003’s agency’s agent',
        role: 'agent_staff',
        reach: 'main',
        serves: [t3],
        scopes: [],
        headers: await session('/api/v1/auth/login', agent),
      },
    ];
    const challenge = await created('POST', `/api/v1/terminals/${t3}/unlock-challenge`, theirs[0].headers);
    // A settled batch on T-0003, so that its settlement slip exists for those who may read it.
    const sold = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: { ...theirs[0].headers, 'idempotency-key': 'matrix-t3-sale' },
      payload: { amount: 100, card: { number: TEST_CARDS.approved } },
    });
    expect(sold.statusCode, sold.body).toBe(201);
    await created('POST', `/api/v1/terminals/${t3}/settle`, theirs[1].headers);
    const second: Objects = { ...objects.main, terminal: t3, challenge: challenge.challenge };
    const terminalRoutes = guarded().filter((r) => FIXTURES[keyOf(r)]?.terminal);
    expect(terminalRoutes.map(keyOf).sort()).toEqual(
      Object.keys(FIXTURES)
        .filter((k) => FIXTURES[k].terminal)
        .sort(),
    );
    const mismatches: string[] = [];
    const tally: Record<Outcome, number> = { allowed: 0, forbidden: 0, insufficient_scope: 0, hidden: 0, pinned: 0 };
    // Everyone on T-0003's objects; T-0003's people on T-0001's (the others met those in the matrix).
    const runs: Array<[Principal[], Objects]> = [
      [[...(await principals()), ...theirs], second],
      [theirs, objects.main],
    ];
    for (const [people, o] of runs) {
      for (const route of terminalRoutes) {
        for (const p of people) {
          const r = await request(route, 'main', p.headers, p, o);
          const { outcome, wrong } = judge(route, p, r, 'main', o.terminal);
          tally[outcome]++;
          if (wrong) mismatches.push(`on ${o.terminal === t3 ? 'T-0003' : 'T-0001'}: ${wrong}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(tally.hidden).toBeGreaterThan(10);
    expect(tally.allowed).toBeGreaterThan(10);
    // The agency serving T-0003 gets its unlock code; the one serving T-0001 does not.
    const unlock = (headers: Headers) =>
      inject('POST', '/api/v1/agent/unlock-codes', headers, { terminalId: t3, challenge: challenge.challenge });
    expect((await unlock(theirs[2].headers)).statusCode).toBe(201);
    expect((await unlock(await h.login('agent'))).statusCode).toBe(403);
  });

  it('lets the list routes show other tenants’ people none of this merchant’s objects', async () => {
    const outsiders = (await principals()).filter((p) => p.reach === 'other' || p.reach === 'none');
    const lists: Array<[string, () => string]> = [
      ['/api/v1/payments?limit=100', () => objects.main.sale],
      ['/api/v1/refunds?limit=100', () => objects.main.refund],
      ['/api/v1/terminals', () => objects.main.terminal],
      ['/api/v1/api-keys', () => objects.main.apiKey],
      ['/api/v1/webhook-endpoints?limit=100', () => objects.main.webhook],
      ['/api/v1/disputes?limit=100', () => objects.main.dispute],
      ['/api/v1/acquirer/refund-reviews?limit=100', () => manualReview],
      ['/api/v1/audit-events?limit=100', () => objects.main.merchant],
    ];
    // Each list does show its own merchant the object (the check below is not vacuous).
    const admin = await h.login('admin');
    for (const url of ['/api/v1/disputes?limit=100', '/api/v1/acquirer/refund-reviews?limit=100']) {
      const r = await h.app.inject({ method: 'GET', url, headers: admin });
      expect(JSON.stringify(r.json().data), url).toContain(
        url.includes('disputes') ? objects.main.dispute : manualReview,
      );
    }
    let checked = 0;
    for (const p of outsiders) {
      for (const [url, id] of lists) {
        const r = await h.app.inject({ method: 'GET', url, headers: p.headers });
        if (r.statusCode === 403) continue;
        expect(r.statusCode, `${url} as ${p.name}: ${r.body}`).toBe(200);
        expect(JSON.stringify(r.json().data), `${url} as ${p.name}`).not.toContain(id());
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('holds the dispute routes to their proofs and their parties', async () => {
    const ip = nextIp();
    const main = objects.main;
    const id = main.dispute;
    const unknownId = 'dp_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
    const get = (path: string, headers: Headers = {}) =>
      h.app.inject({ method: 'GET', url: path, headers, remoteAddress: ip });
    const post = (path: string, payload: object, headers: Headers = {}) =>
      h.app.inject({ method: 'POST', url: path, headers, payload, remoteAddress: ip });
    const withSecret = (s: string) => `?secret=${encodeURIComponent(s)}`;
    // What the customer's side may call, with a body that would pass were the proof right.
    const customerCalls: Array<[string, (d: string, secret?: string, headers?: Headers) => ReturnType<typeof get>]> = [
      ['GET dispute', (d, s, hd) => get(`/api/v1/disputes/${d}${s ? withSecret(s) : ''}`, hd)],
      [
        'GET attachment',
        (d, s, hd) => get(`/api/v1/disputes/${d}/attachments/${main.attachment}${s ? withSecret(s) : ''}`, hd),
      ],
      ['messages', (d, s, hd) => post(`/api/v1/disputes/${d}/messages`, { body: 'x', secret: s }, hd)],
      ['escalate', (d, s, hd) => post(`/api/v1/disputes/${d}/escalate`, { reason: 'x', secret: s }, hd)],
      ['close', (d, s, hd) => post(`/api/v1/disputes/${d}/close`, { outcome: 'withdrawn', secret: s }, hd)],
      ['refer', (d, s, hd) => post(`/api/v1/disputes/${d}/refer`, { secret: s }, hd)],
      ['rating', (d, s, hd) => post(`/api/v1/disputes/${d}/rating`, { score: 5, secret: s }, hd)],
    ];
    for (const [name, call] of customerCalls) {
      // No token and no secret: 401.
      const none = await call(id);
      expect(none.statusCode, `${name} with no proof: ${none.body}`).toBe(401);
      expect(expectProblem(none).code).toBe('unauthenticated');
      // A wrong secret, and the other merchant's customer's secret, look exactly like an unknown id.
      const unknown = problemOf(await call(unknownId, 'not-the-secret'));
      expect(unknown.status, name).toBe(404);
      expect(problemOf(await call(id, 'not-the-secret')), name).toEqual(unknown);
      const theirs = await call(id, objects.other.disputeSecret);
      expect(problemOf(theirs), `${name} with the other customer’s secret`).toEqual(unknown);
    }
    // A refund's dispute opens with that refund's tracking secret only: not another refund's (even
    // of the same merchant), not a payment dispute's access secret.
    const owner = await h.login('owner');
    const askIp = nextIp();
    const sale = await h.sale(15_000);
    const asked = await created(
      'POST',
      '/api/v1/public/refund-requests',
      {},
      {
        paymentReference: sale.reference,
        cardLast4: (sale.card as { last4: string }).last4,
        amount: 15_000,
        reason: 'goods_returned',
        description: 'the zip broke',
        contact: { email: 'refund-disputer@example.com' },
      },
      askIp,
    );
    await created('POST', `/api/v1/refunds/${asked.id}/merchant-decision`, owner, {
      decision: 'reject',
      reason: 'worn',
    });
    const byRefund = await created(
      'POST',
      '/api/v1/disputes',
      {},
      { refundId: asked.id, trackingSecret: asked.trackingSecret, description: 'it was not worn' },
      askIp,
    );
    const view = (secret: string) => get(`/api/v1/disputes/${byRefund.id}${withSecret(secret)}`);
    expect((await view(asked.trackingSecret)).statusCode).toBe(200);
    const unknownView = problemOf(await get(`/api/v1/disputes/${unknownId}${withSecret('not-the-secret')}`));
    for (const secret of [main.trackingSecret, objects.other.trackingSecret, main.disputeSecret, 'not-the-secret']) {
      expect(problemOf(await view(secret))).toEqual(unknownView);
    }
    expect(problemOf(await get(`/api/v1/disputes/${id}${withSecret(asked.trackingSecret)}`))).toEqual(unknownView);

    // A session is not the customer: it never stands in for the secret on the customer's own steps.
    for (const [name, call] of customerCalls.filter(([n]) => n === 'escalate' || n === 'rating')) {
      const r = await call(id, undefined, owner);
      expect(r.statusCode, `${name} with a session and no secret: ${r.body}`).toBe(401);
    }
    // The other merchant's owner and supervisor, and a reviewer of another acquirer: 404 throughout.
    const strangers: Record<string, Headers> = {
      'other merchant’s owner': await h.login('otherOwner'),
      'other merchant’s supervisor': await h.operator('supervisor', 'other'),
      'other acquirer’s reviewer': await h.stranger('acquirer_reviewer'),
    };
    for (const [who, headers] of Object.entries(strangers)) {
      const reads = [`/api/v1/disputes/${id}`, `/api/v1/disputes/${id}/case-file`];
      for (const path of reads) {
        const r = await get(path, headers);
        expect(r.statusCode, `${path} as ${who}: ${r.body}`).toBe(404);
        expect(problemOf(r), `${path} as ${who}`).toEqual(problemOf(await get(path.replace(id, unknownId), headers)));
      }
      const writes: Array<[string, object]> = [
        ['messages', { body: 'x' }],
        ['close', { outcome: 'concluded', note: 'x' }],
      ];
      if (who.includes('reviewer')) writes.push(['decision', { outcome: 'resolved_for_merchant', ruling: 'x' }]);
      else writes.push(['refer', {}]);
      for (const [action, body] of writes) {
        const r = await post(`/api/v1/disputes/${id}/${action}`, body, headers);
        expect(r.statusCode, `${action} as ${who}: ${r.body}`).toBe(404);
      }
    }
    // The other merchant's owner, on its own dispute with this merchant's attachment id: 404.
    const mixed = await get(`/api/v1/disputes/${objects.other.dispute}/attachments/${main.attachment}`, {
      ...strangers['other merchant’s owner'],
    });
    expect(mixed.statusCode, mixed.body).toBe(404);
    // The decision is the acquirer's: a cashier gets 403 (its merchant's dispute or not).
    const decide = (headers: Headers) =>
      post(`/api/v1/disputes/${id}/decision`, { outcome: 'resolved_for_merchant', ruling: 'x' }, headers);
    const cashier = await decide(await h.operator('cashier'));
    expect(cashier.statusCode, cashier.body).toBe(403);
    expect(cashier.json().code).toBe('forbidden');
    // The merchant's own reviewer gets past every check to the dispute's state (negotiating).
    const own = await decide(await h.login('reviewer'));
    expect(own.json().code, own.body).toBe('invalid_transition');
  });

  it('holds the customer’s refund pages to their proofs: a token is no proof, a wrong one looks unknown', async () => {
    const ip = nextIp();
    const main = objects.main;
    const unknownRefund = 're_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
    const track = (id: string, query: string, headers: Headers = {}) =>
      h.app.inject({ method: 'GET', url: `/api/v1/public/refunds/${id}${query}`, headers, remoteAddress: ip });
    const cancel = (id: string, secret: string, headers: Headers = {}) =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/public/refunds/${id}/cancel`,
        headers,
        payload: { secret },
        remoteAddress: ip,
      });
    const ok = await track(main.reviewRefund, `?secret=${main.trackingSecret}`);
    expect(ok.statusCode, ok.body).toBe(200);

    const unknown = problemOf(await track(unknownRefund, '?secret=not-the-secret'));
    expect(unknown.status).toBe(404);
    for (const [what, query] of [
      ['a wrong secret', '?secret=not-the-secret'],
      ['the other merchant’s customer’s secret', `?secret=${objects.other.trackingSecret}`],
      ['a wrong contact', '?contact=someone%40example.com'],
      ['no proof', ''],
    ]) {
      expect(problemOf(await track(main.reviewRefund, query)), what).toEqual(unknown);
    }
    const unknownCancel = problemOf(await cancel(unknownRefund, 'not-the-secret'));
    expect(unknownCancel.status).toBe(404);
    expect(problemOf(await cancel(main.reviewRefund, 'not-the-secret'))).toEqual(unknownCancel);
    expect(problemOf(await cancel(main.reviewRefund, objects.other.trackingSecret))).toEqual(unknownCancel);

    // Every session and key, without the secret: nothing (a token does not open the customer's page).
    for (const p of await principals()) {
      const r = await track(main.reviewRefund, '', p.headers);
      expect(problemOf(r), `track as ${p.name}`).toEqual(unknown);
      const c = await cancel(main.reviewRefund, 'not-the-secret', p.headers);
      expect(problemOf(c), `cancel as ${p.name}`).toEqual(unknownCancel);
    }
    // The refund is still waiting for its merchant: nothing above moved it.
    const after = await h.app.inject({
      method: 'GET',
      url: `/api/v1/refunds/${main.reviewRefund}`,
      headers: await h.login('owner'),
    });
    expect(after.json().status).toBe('pending_merchant');

    // Asking: a wrong card for a real receipt looks like a receipt that does not exist.
    const ask = (paymentReference: string, cardLast4: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/public/refund-requests',
        remoteAddress: nextIp(),
        payload: {
          paymentReference,
          cardLast4,
          amount: 100,
          reason: 'other',
          description: 'probe',
          contact: { email: 'probe@example.com' },
        },
      });
    const sale = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${main.sale}`,
      headers: await h.login('owner'),
    });
    const reference = sale.json().reference as string;
    const noSuch = problemOf(await ask('999999999999', '1111'));
    expect(noSuch.status).toBe(422);
    expect(problemOf(await ask(reference, '0000'))).toEqual(noSuch);
    // Opening a dispute on someone's refund takes its secret: a wrong one looks like no such refund.
    const open = (refundId: string, trackingSecret: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/disputes',
        remoteAddress: nextIp(),
        payload: { refundId, trackingSecret, description: 'probe' },
      });
    const noRefund = problemOf(await open(unknownRefund, 'not-the-secret'));
    expect(noRefund.status).toBe(404);
    expect(problemOf(await open(main.reviewRefund, 'not-the-secret'))).toEqual(noRefund);
    expect(problemOf(await open(main.reviewRefund, objects.other.trackingSecret))).toEqual(noRefund);
    // A case file link is its own proof: a session opens nothing without it.
    const link = await h.app.inject({
      method: 'GET',
      url: `/api/v1/public/case-files/rdf_${'x'.repeat(43)}`,
      headers: await h.login('admin'),
      remoteAddress: nextIp(),
    });
    expect(link.statusCode, link.body).toBe(404);
  });

  // Written from the issues, not read from the routes: the matrix above checks that each route does
  // what it declares; this checks that what the money and secret routes declare is what was asked.
  const NAMED_BY_THE_ISSUES: Record<string, readonly Role[]> = {
    'POST /api/v1/payments': ['cashier', 'supervisor', 'api_key'],
    'POST /api/v1/payments/:id/void': ['cashier', 'supervisor', 'merchant_owner', 'api_key'],
    'POST /api/v1/terminals/:id/settle': ['supervisor', 'merchant_owner'],
    'POST /api/v1/terminals/:id/reinitialize': ['supervisor', 'merchant_owner', 'agent_staff'],
    'POST /api/v1/refunds': ['cashier', 'supervisor', 'merchant_owner', 'api_key'],
    'POST /api/v1/refunds/:id/cancel': ['supervisor', 'merchant_owner', 'api_key'],
    'POST /api/v1/refunds/:id/retry': ['supervisor', 'merchant_owner', 'acquirer_reviewer', 'api_key'],
    'POST /api/v1/refunds/:id/merchant-decision': ['supervisor', 'merchant_owner', 'api_key'],
    'POST /api/v1/refunds/:id/acquirer-decision': ['acquirer_reviewer'],
    'POST /api/v1/disputes/:id/decision': ['acquirer_reviewer'],
    'POST /api/v1/payments/:id/flag': ['acquirer_reviewer', 'platform_admin'],
    'PUT /api/v1/merchants/:id/refund-password': ['supervisor', 'merchant_owner'],
    'PUT /api/v1/merchants/:id/refund-policy': ['merchant_owner'],
    'GET /api/v1/merchants/:id/password-policy': ['merchant_owner'],
    'PUT /api/v1/merchants/:id/password-policy': ['merchant_owner'],
    'POST /api/v1/merchants/:id/refund-password/recovery': ['supervisor', 'merchant_owner'],
    'POST /api/v1/merchants/:id/refund-password/recovery/verify': ['supervisor', 'merchant_owner'],
    'POST /api/v1/agent/unlock-codes': ['agent_staff'],
    'POST /api/v1/terminals/:id/unlock-challenge': ['cashier', 'supervisor'],
    'POST /api/v1/terminals/:id/refund-password/reset': ['supervisor'],
    'POST /api/v1/terminals/:id/operators/:code/password-reset': ['supervisor', 'merchant_owner'],
    'POST /api/v1/api-keys': ['merchant_owner'],
    'DELETE /api/v1/api-keys/:id': ['merchant_owner'],
    'POST /api/v1/webhook-endpoints': ['merchant_owner'],
    'GET /api/v1/audit-events': ['merchant_owner', 'acquirer_reviewer', 'platform_admin'],
    'GET /api/v1/backups': ['platform_admin', 'merchant_owner'],
    'GET /api/v1/backups/:id': ['platform_admin', 'merchant_owner'],
    'POST /api/v1/backups': ['platform_admin'],
    'GET /api/v1/backups/:id/file': ['platform_admin'],
  };

  it('declares on each money and secret route exactly the roles the issues name', () => {
    const wrong: string[] = [];
    for (const [key, roles] of Object.entries(NAMED_BY_THE_ISSUES)) {
      const route = routes.find((r) => keyOf(r) === key);
      const declared = route ? [...(guardOf(route)?.roles ?? [])].sort() : ['(no such route)'];
      if (JSON.stringify(declared) !== JSON.stringify([...roles].sort())) wrong.push(`${key}: ${declared.join(', ')}`);
    }
    expect(wrong).toEqual([]);
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
