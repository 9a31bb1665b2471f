import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { transaction } from '../db/transaction.js';
import { buildApp } from '../http/app.js';
import { drainJobs } from '../jobs/job.service.js';
import { type Receiver, startReceiver } from './test-receiver.js';
import { emitWebhookEvent } from './webhook.service.js';

const BASE = '/api/v1/webhook-endpoints';
type Headers = Record<string, string>;

describe.each(engines())('webhook endpoint routes (%s)', (engine) => {
  let h: Harness;
  let owner: Headers;
  let otherOwner: Headers;
  let r: Receiver;

  beforeAll(async () => {
    h = await openHarness(engine, { secretKey: randomBytes(32).toString('base64') });
    owner = await h.login('owner');
    otherOwner = await h.login('otherOwner');
    r = await startReceiver();
  });
  afterAll(async () => {
    await r?.close();
    await h?.close();
  });

  const create = (headers: Headers, payload: unknown) =>
    h.app.inject({ method: 'POST', url: BASE, headers, payload: payload as object });

  async function createOk(payload: Record<string, unknown> = {}) {
    const res = await create(owner, { url: r.url, events: ['*'], ...payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; secret: string; url: string; events: string[] };
  }

  async function endpointCount(): Promise<number> {
    const row = await h.db.kysely
      .selectFrom('webhook_endpoints')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('creates an endpoint for the owner and shows its secret this once', async () => {
    const res = await create(owner, { url: r.url, events: ['refund.created', 'refund.failed'], description: 'ERP' });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^whe_/),
      url: r.url,
      events: ['refund.created', 'refund.failed'],
      description: 'ERP',
      enabled: true,
      createdAt: h.clock.now().toISOString(),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });

    const list = await h.app.inject({ method: 'GET', url: BASE, headers: owner });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((e: { id: string }) => e.id)).toContain(body.id);
    expect(list.json().nextCursor).toBeNull();
    expect(list.body).not.toContain(body.secret);
    expect(list.body).not.toContain('"secret"');

    const one = await h.app.inject({ method: 'GET', url: `${BASE}/${body.id}`, headers: owner });
    expect(one.statusCode).toBe(200);
    expect(one.json()).not.toHaveProperty('secret');
    expect(one.body).not.toContain(body.secret);
  });

  it.each([
    ['ftp://example.com/hook', 422, 'webhook_url_invalid'],
    ['example.com/hook', 422, 'webhook_url_invalid'],
    ['https://user:pass@example.com/hook', 422, 'webhook_url_invalid'],
    ['https://example.com/hook#x', 422, 'webhook_url_invalid'],
    ['', 400, 'validation_failed'],
  ])('refuses the URL %j with %i %s, and creates nothing', async (url, status, code) => {
    const before = await endpointCount();
    const res = await create(owner, { url, events: ['*'] });
    expect(res.statusCode, res.body).toBe(status);
    expect(expectProblem(res).code).toBe(code);
    expect(await endpointCount()).toBe(before);
  });

  it('refuses unknown or missing events and malformed bodies with problem+json', async () => {
    const before = await endpointCount();
    const cases: Array<[unknown, number, string]> = [
      [{ url: r.url, events: ['refund.exploded'] }, 422, 'webhook_event_unknown'],
      [{ url: r.url, events: [] }, 400, 'validation_failed'],
      [{ url: r.url }, 400, 'validation_failed'],
      [{ events: ['*'] }, 400, 'validation_failed'],
      [{ url: 42, events: ['*'] }, 400, 'validation_failed'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await create(owner, payload);
      expect(res.statusCode, `${JSON.stringify(payload)}: ${res.body}`).toBe(status);
      expect(expectProblem(res).code).toBe(code);
    }
    expect(await endpointCount()).toBe(before);
  });

  it('refuses private and loopback hosts when WEBHOOK_ALLOW_PRIVATE is off (production)', async () => {
    const app: FastifyInstance = await buildApp(h.db, {
      ...h.ctx,
      config: { ...h.ctx.config, webhookAllowPrivate: false },
    });
    try {
      for (const url of [
        r.url,
        'http://localhost:8080/x',
        'http://169.254.169.254/',
        'http://[::1]/',
        'http://10.0.0.5/',
      ]) {
        const res = await app.inject({ method: 'POST', url: BASE, headers: owner, payload: { url, events: ['*'] } });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(422);
        expect(expectProblem(res).code).toBe('webhook_url_invalid');
      }
      const ok = await app.inject({
        method: 'POST',
        url: BASE,
        headers: owner,
        payload: { url: 'https://hooks.example.com/rd', events: ['*'] },
      });
      expect(ok.statusCode, ok.body).toBe(201);
      await app.inject({ method: 'DELETE', url: `${BASE}/${ok.json().id}`, headers: owner });
    } finally {
      await app.close();
    }
  });

  it('asks for a token (401), and lets only the merchant owner in (403 for everyone else)', async () => {
    const ep = await createOk();
    const routes: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: object }> = [
      { method: 'POST', url: BASE, payload: { url: r.url, events: ['*'] } },
      { method: 'GET', url: BASE },
      { method: 'GET', url: `${BASE}/${ep.id}` },
      { method: 'GET', url: `${BASE}/${ep.id}/deliveries` },
      { method: 'DELETE', url: `${BASE}/${ep.id}` },
    ];
    const others: Array<[string, Headers]> = [
      ['cashier', await h.operator('cashier')],
      ['supervisor', await h.operator('supervisor')],
      ['API key', await h.apiKey(['read', 'refunds:write', 'payments:write'])],
      ['acquirer reviewer', await h.login('reviewer')],
      ['platform admin', await h.login('admin')],
    ];
    for (const route of routes) {
      const none = await h.app.inject(route);
      expect(none.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(expectProblem(none).code).toBe('unauthenticated');
      for (const [who, headers] of others) {
        const res = await h.app.inject({ ...route, headers });
        expect(res.statusCode, `${route.method} ${route.url} as ${who}: ${res.body}`).toBe(403);
        expect(expectProblem(res).code).toBe('forbidden');
      }
    }
    expect((await h.app.inject({ method: 'GET', url: `${BASE}/${ep.id}`, headers: owner })).statusCode).toBe(200);
  });

  it('hides one merchant’s endpoints from another merchant’s owner (404), both ways', async () => {
    const mine = await createOk();
    const theirsRes = await create(otherOwner, { url: r.url, events: ['*'] });
    expect(theirsRes.statusCode).toBe(201);
    const theirs = theirsRes.json() as { id: string };

    for (const [headers, id] of [
      [otherOwner, mine.id],
      [owner, theirs.id],
    ] as const) {
      for (const req of [
        { method: 'GET' as const, url: `${BASE}/${id}` },
        { method: 'GET' as const, url: `${BASE}/${id}/deliveries` },
        { method: 'DELETE' as const, url: `${BASE}/${id}` },
      ]) {
        const res = await h.app.inject({ ...req, headers });
        expect(res.statusCode, `${req.method} ${req.url}: ${res.body}`).toBe(404);
        expect(expectProblem(res).code).toBe('not_found');
      }
    }
    const otherList = await h.app.inject({ method: 'GET', url: BASE, headers: otherOwner });
    expect(otherList.body).not.toContain(mine.id);
    const myList = await h.app.inject({ method: 'GET', url: BASE, headers: owner });
    expect(myList.body).not.toContain(theirs.id);
    // The failed deletes deleted nothing.
    expect((await h.app.inject({ method: 'GET', url: `${BASE}/${mine.id}`, headers: owner })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: `${BASE}/${theirs.id}`, headers: otherOwner })).statusCode).toBe(
      200,
    );
  });

  it('deletes an endpoint: gone from the list, a second delete is 404', async () => {
    const ep = await createOk();
    const del = await h.app.inject({ method: 'DELETE', url: `${BASE}/${ep.id}`, headers: owner });
    expect(del.statusCode, del.body).toBe(204);
    const again = await h.app.inject({ method: 'DELETE', url: `${BASE}/${ep.id}`, headers: owner });
    expect(again.statusCode).toBe(404);
    expect(expectProblem(again).code).toBe('not_found');
    const list = await h.app.inject({ method: 'GET', url: `${BASE}?limit=100`, headers: owner });
    expect(list.body).not.toContain(ep.id);
    const bad = await h.app.inject({ method: 'DELETE', url: `${BASE}/re_123`, headers: owner });
    expect(bad.statusCode).toBe(400);
    expect(expectProblem(bad).code).toBe('validation_failed');
  });

  it('shows the delivery log: event, attempts, last status and error, next attempt, delivered at', async () => {
    // Only this test's endpoint may receive the event: start from none.
    for (const e of (await h.app.inject({ method: 'GET', url: `${BASE}?limit=100`, headers: owner })).json().data) {
      await h.app.inject({ method: 'DELETE', url: `${BASE}/${e.id}`, headers: owner });
    }
    r.statuses.push(503);
    const ep = await createOk({ events: ['refund.succeeded'] });
    await transaction(h.db, (trx) =>
      emitWebhookEvent(trx, h.ctx, h.ids.merchantId, 'refund.succeeded', { refundId: 're_x', amount: 100 }),
    );
    await drainJobs(h.db, h.ctx);
    const log = async () => {
      const res = await h.app.inject({ method: 'GET', url: `${BASE}/${ep.id}/deliveries`, headers: owner });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const first = await log();
    expect(first.nextCursor).toBeNull();
    expect(first.data).toEqual([
      {
        id: expect.stringMatching(/^whd_/),
        endpointId: ep.id,
        eventId: expect.stringMatching(/^evt_/),
        eventType: 'refund.succeeded',
        status: 'pending',
        attempts: 1,
        lastStatusCode: 503,
        lastError: 'HTTP 503: receiver says 503',
        nextAttemptAt: new Date(h.clock.now().getTime() + 30_000).toISOString(),
        deliveredAt: null,
        createdAt: h.clock.now().toISOString(),
      },
    ]);
    h.clock.advance(30_000);
    await drainJobs(h.db, h.ctx);
    const second = await log();
    expect(second.data[0]).toMatchObject({
      status: 'delivered',
      attempts: 2,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: h.clock.now().toISOString(),
    });
    const filtered = await h.app.inject({
      method: 'GET',
      url: `${BASE}/${ep.id}/deliveries?status=failed`,
      headers: owner,
    });
    expect(filtered.json().data).toEqual([]);
  });

  it('signs a real refund’s created, processing and succeeded events so that the README’s snippet verifies them', async () => {
    for (const e of (await h.app.inject({ method: 'GET', url: `${BASE}?limit=100`, headers: owner })).json().data) {
      await h.app.inject({ method: 'DELETE', url: `${BASE}/${e.id}`, headers: owner });
    }
    const ep = await createOk({ events: ['refund.created', 'refund.processing', 'refund.succeeded'] });
    const verify = await readmeVerifier();
    r.received.length = 0;
    const sale = await h.sale(10_000, { settled: true });
    const refund = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.apiKey(['refunds:write']),
      payload: { paymentId: sale.id, amount: 1_500, reason: 'goods_returned' },
    });
    expect(refund.statusCode, refund.body).toBe(201);
    for (let i = 0; i < 3; i++) await drainJobs(h.db, h.ctx); // review, processing, deliveries
    const bodies = r.received.map((d) => JSON.parse(d.rawBody));
    expect(bodies.map((b) => b.type).sort()).toEqual(['refund.created', 'refund.processing', 'refund.succeeded']);
    for (const [i, d] of r.received.entries()) {
      const header = d.headers['refunddesk-signature'] as string;
      expect(verify(ep.secret, header, d.rawBody, 300, h.clock.now())).toBe(true);
      expect(verify(ep.secret, header, `${d.rawBody} `, 300, h.clock.now())).toBe(false);
      expect(verify(`${ep.secret}x`, header, d.rawBody, 300, h.clock.now())).toBe(false);
      expect(verify(ep.secret, header, d.rawBody, 300, new Date(h.clock.now().getTime() + 301_000))).toBe(false);
      expect(bodies[i].data).toMatchObject({ refundId: refund.json().id, amount: 1_500, currency: 'CNY' });
    }
    const succeeded = bodies.find((b) => b.type === 'refund.succeeded');
    expect(succeeded.data.processorReference).toMatch(/^\d{23}$/);
  });

  it('pages the endpoint list newest first', async () => {
    const a = await createOk();
    const b = await createOk();
    const p1 = await h.app.inject({ method: 'GET', url: `${BASE}?limit=1`, headers: owner });
    expect(p1.json().data.map((e: { id: string }) => e.id)).toEqual([b.id]);
    const p2 = await h.app.inject({
      method: 'GET',
      url: `${BASE}?limit=1&cursor=${p1.json().nextCursor}`,
      headers: owner,
    });
    expect(p2.json().data.map((e: { id: string }) => e.id)).toEqual([a.id]);
  });

  it('limits a merchant to 16 endpoints', async () => {
    const list = await h.app.inject({ method: 'GET', url: `${BASE}?limit=100`, headers: owner });
    for (let n = list.json().data.length; n < 16; n++) await createOk();
    const res = await create(owner, { url: r.url, events: ['*'] });
    expect(res.statusCode, res.body).toBe(422);
    expect(expectProblem(res).code).toBe('webhook_endpoint_limit');
    // The other merchant is not affected.
    expect((await create(otherOwner, { url: r.url, events: ['*'] })).statusCode).toBe(201);
  });
});

type Verifier = (secret: string, header: string | undefined, raw: string, tolerance?: number, now?: Date) => boolean;

/** The verification snippet exactly as the README prints it, compiled and loaded. */
async function readmeVerifier(): Promise<Verifier> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = readme.split('```ts\n').find((b) => b.includes('export function verifyWebhookSignature'));
  if (!block) throw new Error('README.md has no verifyWebhookSignature snippet');
  const { outputText } = ts.transpileModule(block.split('```')[0], {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const dir = mkdtempSync(join(tmpdir(), 'readme-snippet-'));
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, outputText);
  try {
    return (await import(pathToFileURL(file).href)).verifyWebhookSignature as Verifier;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
