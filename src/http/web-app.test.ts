import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { buildApp } from './app.js';

const INDEX = '<!doctype html><title>RefundDesk</title><div id="root"></div>';

describe('the web app served by refunddesk serve', () => {
  let h: Harness;
  let app: FastifyInstance;
  let root: string;
  beforeAll(async () => {
    h = await openHarness('sqlite');
    root = mkdtempSync(join(tmpdir(), 'refunddesk-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'assets', 'main-AbC123.js'), 'console.log(1)');
    app = await buildApp(h.db, h.ctx, { webRoot: root, logLevel: 'silent' });
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers the app’s pages with index.html, never cached, under a strict Content-Security-Policy', async () => {
    for (const url of ['/', '/terminal', '/terminal/T-0001', '/refund', '/refund/track/re_1?lang=en']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type'], url).toMatch(/^text\/html/);
      expect(r.body, url).toBe(INDEX);
      expect(r.headers['cache-control'], url).toBe('no-cache');
      expect(r.headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(r.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
    }
  });

  it('serves hashed assets as immutable for a year', async () => {
    const r = await app.inject({ method: 'GET', url: '/assets/main-AbC123.js' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-type']).toMatch(/javascript/);
  });

  it('never answers the API, the docs, health or metrics with the app: an unknown API path stays a problem', async () => {
    for (const url of ['/api/v1/nope', '/api', '/api/v1/payments/pay_x/nope', '/metrics/nope', '/readyz/nope']) {
      const r = await app.inject({ method: 'GET', url });
      expect(expectProblem(r, url).code).toBe('route_not_found');
    }
    expect(expectProblem(await app.inject({ method: 'POST', url: '/terminal', payload: {} })).code).toBe(
      'route_not_found',
    );
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json().status).toBe('ok');
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json().status).toBe('ready');
    expect((await app.inject({ method: 'GET', url: '/metrics' })).headers['content-type']).toMatch(/^text\/plain;/);
    const spec = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(spec.json().openapi).toBe('3.1.0');
  });

  it('keeps the app’s policy off /docs, whose Swagger UI needs its own', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
    expect(docs.headers['content-security-policy'] ?? '').not.toContain("style-src 'self';");
  });

  it('leaves a missing file a 404 instead of a page', async () => {
    for (const url of ['/favicon.ico', '/assets/gone-123.js']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });
});
