import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalog } from '../../src/errors.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';

/** The core routes of DESIGN.md ("HTTP conventions") that exist so far, in OpenAPI path syntax. */
const CORE_ROUTES = [
  ['post', '/api/v1/payments'],
  ['get', '/api/v1/payments/{id}'],
  ['post', '/api/v1/payments/{id}/void'],
  ['post', '/api/v1/refunds'],
  ['get', '/api/v1/refunds/{id}'],
  ['get', '/api/v1/refunds'],
  ['post', '/api/v1/refunds/{id}/cancel'],
] as const;

interface Operation {
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
  responses?: Record<string, unknown>;
  security?: unknown[];
}
type OpenApi = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
  security?: unknown[];
};

describe.each(engines())('OpenAPI, docs and health (%s)', (engine) => {
  let h: Harness;
  let spec: OpenApi;
  beforeAll(async () => {
    h = await openHarness(engine);
    const r = await h.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    spec = r.json();
  });
  afterAll(() => h?.close());

  it('serves an OpenAPI 3.1 document without a token', () => {
    expect(spec.openapi).toMatch(/^3\.1\.\d+$/);
    expect(spec.info.title).toBeTruthy();
    expect(spec.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it.each(CORE_ROUTES)('lists %s %s', (method, path) => {
    const op = spec.paths[path]?.[method];
    expect(op, `${method.toUpperCase()} ${path} is missing from the OpenAPI document`).toBeDefined();
    expect(Object.keys(op?.responses ?? {}).some((s) => s.startsWith('2'))).toBe(true);
    for (const name of path.match(/\{(\w+)\}/g) ?? []) {
      const param = op?.parameters?.find((p) => p.in === 'path' && `{${p.name}}` === name);
      expect(param, `path parameter ${name}`).toBeDefined();
    }
  });

  it('describes amounts as integers and bodies as JSON on the money-moving POSTs', () => {
    for (const path of ['/api/v1/payments', '/api/v1/refunds']) {
      const schema = spec.paths[path].post.requestBody?.content?.['application/json']?.schema as {
        properties: Record<string, { type?: string }>;
        required: string[];
      };
      expect(schema.properties.amount.type, path).toBe('integer');
      expect(schema.required).toContain('amount');
    }
  });

  it('documents the problem responses of the refund route', () => {
    const responses = spec.paths['/api/v1/refunds'].post.responses ?? {};
    for (const status of ['400', '401', '403', '404', '409', '422']) expect(responses, status).toHaveProperty(status);
  });

  it('keeps its own plumbing (health, the spec itself, the docs UI) out of the document', () => {
    for (const path of Object.keys(spec.paths)) expect(path, path).toMatch(/^\/api\/v1\//);
  });

  it('serves the interactive docs at /docs (following redirects)', async () => {
    let url = '/docs';
    let r = await h.app.inject({ method: 'GET', url });
    for (let hops = 0; r.statusCode >= 300 && r.statusCode < 400 && hops < 5; hops++) {
      url = new URL(String(r.headers.location), `http://localhost${url}`).pathname;
      r = await h.app.inject({ method: 'GET', url });
    }
    expect(r.statusCode, `${url}: ${r.body.slice(0, 200)}`).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.body.toLowerCase()).toContain('swagger');
  });

  it('serves Swagger UI’s files with their own headers, a HEAD with the GET’s length, and the app’s 404 past them', async () => {
    const css = await h.app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    const again = await h.app.inject({
      method: 'GET',
      url: '/docs/static/swagger-ui.css',
      headers: { 'if-none-match': String(css.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    const page = await h.app.inject({ method: 'GET', url: '/docs/' });
    const head = await h.app.inject({ method: 'HEAD', url: '/docs/' });
    expect(head.statusCode).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(page.rawPayload.length);
    const missing = await h.app.inject({ method: 'GET', url: '/docs/no-such-file' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'route_not_found' });
  });

  it('serves the error table at /docs/errors, where every problem’s type points, with a row for each code', async () => {
    const refused = await h.app.inject({ method: 'GET', url: '/api/v1/refunds' });
    const type = refused.json().type as string;
    expect(type).toBe('/docs/errors#unauthenticated');
    const page = await h.app.inject({ method: 'GET', url: type.split('#')[0] });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    for (const code of Object.keys(errorCatalog)) expect(page.body, code).toContain(`id="${code}"`);
    expect(page.body).toContain('<table>');
  });

  it('answers /healthz with 200 and the engine it runs on', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', engine: engine === 'postgres' ? 'postgres' : 'sqlite' });
  });
});
