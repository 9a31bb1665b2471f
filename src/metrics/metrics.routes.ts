import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import metricsModule from 'fastify-metrics';
import type { AppContext } from '../context.js';
import { metricsLoopbackOnly, metricsTokenRequired } from './metrics.errors.js';

// fastify-metrics is CommonJS with `exports.default`: Node's ESM loader hands over the exports
// object, vitest the function itself.
type MetricsPlugin = typeof metricsModule.default;
const fastifyMetrics: MetricsPlugin =
  (metricsModule as { default?: MetricsPlugin }).default ?? (metricsModule as unknown as MetricsPlugin);

const HTTP_HISTOGRAM = 'http_request_duration_seconds';
const HTTP_SUMMARY = 'http_request_summary_seconds';
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Who may read /metrics: with `METRICS_TOKEN` set, whoever sends it as a bearer token (compared in
 * constant time, through digests of equal length); without, only this machine (the socket's peer:
 * `trustProxy` is off, so no header can claim it). @throws metrics_token_required, metrics_loopback_only
 */
export function assertMayScrape(token: string | undefined, request: FastifyRequest): void {
  if (token === undefined) {
    if (!LOOPBACK.has(request.ip)) throw metricsLoopbackOnly();
    return;
  }
  const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  if (!timingSafeEqual(sha256(given), sha256(token))) throw metricsTokenRequired();
}

/**
 * The HTTP side of the metrics: fastify-metrics' request-duration histogram (labelled by the route
 * template — `/api/v1/refunds/:id`, never the URL — its method and status; requests that match no
 * route are not measured), in the context's registry, and `GET /metrics`, which serves that registry.
 * Registered before any route, so its `onRoute` hook sees them all.
 */
export async function registerMetrics(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const registry = ctx.metrics.registry;
  // A second app on the same context (a test) measures in place of the first.
  registry.removeSingleMetric(HTTP_HISTOGRAM);
  await app.register(fastifyMetrics, {
    endpoint: null,
    defaultMetrics: { enabled: false }, // createMetrics() collects them, once per registry
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      registeredRoutesOnly: true,
      overrides: {
        histogram: {
          name: HTTP_HISTOGRAM,
          registers: [registry],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        },
        summary: { registers: [registry] },
      },
    },
  });
  // The plugin makes the summary even when it is off: keep it out of the output.
  registry.removeSingleMetric(HTTP_SUMMARY);

  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    assertMayScrape(ctx.config.metricsToken, request);
    const text = await registry.metrics();
    return reply.type(registry.contentType).header('cache-control', 'no-store').send(text);
  });
}
