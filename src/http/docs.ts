import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { noSuchRoute } from './http.errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The OpenAPI document of every route of the app (built on the first call, see `registerDocs`). */
    openapi(): Promise<Record<string, unknown>>;
  }
}

const SWAGGER_OPTIONS = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'RefundDesk API',
      version: '0.1.0',
      description:
        'POS refund platform: sales, voids, settlement, refunds and their reviews. Errors are RFC 9457 problem+json with a stable `code` (docs/errors.md). Money is integer minor units.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
  },
  transform: jsonSchemaTransform,
};

// Swagger UI gets its own policy: it sets inline styles at run time, which the app's would refuse
// (and the plugin's `staticCSP: true` refuses them too; e2e/docs.test.ts watches for violations).
const UI_OPTIONS = {
  routePrefix: '/docs',
  staticCSP:
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
};

/** Headers of the docs instance's answer that belong to its own connection, not to the one forwarded. */
const HOP_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/** What the docs instance needs of a route to describe it: nothing of it runs there. */
function described(route: RouteOptions): RouteOptions {
  return { method: route.method, url: route.url, schema: route.schema, handler: async () => undefined };
}

/**
 * The API's docs — the OpenAPI document at `/api/openapi.json` and Swagger UI at `/docs` — made on
 * the first request for them, not at start: @fastify/swagger, @fastify/swagger-ui and what they
 * load (yaml, @fastify/static, send…: ~120 modules, ~2 MB of heap) stay out of a server nobody asks
 * for its docs (issue 12, target 5). Call it before the routes are added: it notes each one as it is
 * added; the first docs request loads the plugins into a second, private Fastify instance, declares
 * the same routes there (method, URL and schema; nothing runs) and lets that instance answer: the
 * document from its `swagger()`, the UI's pages through `inject`.
 */
export function registerDocs(app: FastifyInstance): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    // Hidden ones (health, metrics, the docs' own) are never in the document; the docs instance
    // adds the HEAD routes itself.
    if (route.method !== 'HEAD' && !(route.schema as { hide?: boolean } | undefined)?.hide) routes.push(route);
  });

  let docs: Promise<FastifyInstance> | undefined;
  const docsApp = () => {
    docs ??= buildDocsApp(routes).catch((e: unknown) => {
      docs = undefined; // the next request tries again
      throw e;
    });
    return docs;
  };
  app.decorate('openapi', async () => (await docsApp()).swagger() as Record<string, unknown>);
  app.addHook('onClose', async () => {
    await (await docs?.catch(() => undefined))?.close();
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.openapi());
  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    // Always a GET: for a HEAD, this app's own HEAD route then sends the GET's headers, length included.
    const answer = await (await docsApp()).inject({
      method: 'GET',
      url: req.url,
      headers: Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_HEADERS.has(name))),
    });
    if (answer.statusCode === 404) throw noSuchRoute();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (!HOP_HEADERS.has(name) && value !== undefined) reply.header(name, value);
    }
    return reply.code(answer.statusCode).send(answer.rawPayload);
  };
  app.get('/docs', { schema: { hide: true } }, forward);
  app.get('/docs/*', { schema: { hide: true } }, forward);
}

async function buildDocsApp(routes: readonly RouteOptions[]): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
  ]);
  const docs = Fastify({ logger: false });
  // The routes are only described here: their schemas are never compiled into validators.
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await docs.register(swagger, SWAGGER_OPTIONS);
  await docs.register(swaggerUi, UI_OPTIONS);
  for (const route of routes) docs.route(described(route));
  await docs.ready();
  return docs;
}
