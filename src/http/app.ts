import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import { auditRoutes } from '../audit/audit.routes.js';
import { authRoutes } from '../auth/auth.routes.js';
import { backupRoutes } from '../backups/backup.routes.js';
import { credentialRoutes } from '../credentials/credential.routes.js';
import type { Db } from '../db/connect.js';
import { disputeRoutes } from '../disputes/dispute.routes.js';
import { merchantRoutes } from '../merchants/merchant.routes.js';
import { registerMetrics } from '../metrics/metrics.routes.js';
import { operatorRoutes } from '../operators/operator.routes.js';
import { paymentRoutes } from '../payments/payment.routes.js';
import { recoveryRoutes } from '../recovery/recovery.routes.js';
import { customerRoutes } from '../refunds/customer.routes.js';
import { refundRoutes } from '../refunds/refund.routes.js';
import type { ProcessContext } from '../runtime.js';
import { terminalRoutes } from '../terminals/terminal.routes.js';
import { webhookRoutes } from '../webhooks/webhook.routes.js';
import { registerAdmission } from './admission.js';
import { registerAuthHook } from './auth-hook.js';
import { registerDocs } from './docs.js';
import { errorsPage } from './errors-page.js';
import { healthRoutes } from './health.js';
import { registerNulGuard } from './nul-guard.js';
import { frameworkErrors, registerProblemHandlers } from './problem.js';
import { registerWebApp } from './web-app.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The database: routes pass it (or a transaction opened on it) to the services they call. */
    db: Db;
  }
}

export interface AppOptions {
  /** Where logs go (tests capture them to prove no secret is ever written). Default stdout. */
  logStream?: DestinationStream;
  /** Human-readable log lines (pino-pretty) — `serve` asks for them when its output is a terminal; JSON otherwise. */
  prettyLogs?: boolean;
  logLevel?: string;
  /** The built web app's folder (default dist/web); tests point it at a fixture. */
  webRoot?: string;
}

/**
 * Logs carry method, path (never the query string, which may hold a tracking secret), status and
 * timing; never headers or bodies, so tokens, passwords and card numbers cannot reach them.
 */
function loggerOptions(opts: AppOptions, level: string) {
  return {
    level: opts.logLevel ?? level,
    ...(opts.logStream ? { stream: opts.logStream } : {}),
    ...(opts.prettyLogs && !opts.logStream
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        path: req.url.split('?')[0],
        requestId: req.id,
      }),
    },
  };
}

/** The HTTP app. `ctx` is the process's context; its worker, if any, is what `/readyz` reports on. */
export async function buildApp(db: Db, ctx: ProcessContext, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(opts, ctx.config.logLevel),
    bodyLimit: ctx.config.bodyLimitBytes,
    genReqId: () => `req_${Math.random().toString(36).slice(2, 12)}`,
    trustProxy: false,
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();
  // Fastify hands a missing body to the validator as null, so a body's `.default({})` never applied
  // and a bare `POST …/cancel` or `…/void` was a 400; a missing body is `undefined` again here.
  app.setValidatorCompiler((route: Parameters<typeof validatorCompiler>[0]) => {
    const validate = validatorCompiler(route);
    return route.httpPart === 'body' ? (data: unknown) => validate(data ?? undefined) : validate;
  });
  // Only JSON bodies: without this, Fastify's built-in text/plain parser let a text body through to
  // the schema (a 400 about types) instead of the 415 unsupported_media_type it is.
  app.removeContentTypeParser('text/plain');
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('db', db);
  registerProblemHandlers(app);
  registerAdmission(app, db, ctx); // before authentication: a refused request costs no key or password check
  registerAuthHook(app, ctx);
  registerNulGuard(app);
  await registerMetrics(app, ctx); // before any route: the HTTP histogram learns the routes as they are added

  registerDocs(app); // before the routes: it notes them for the OpenAPI document

  healthRoutes(app, db, ctx);
  app.get('/docs/errors', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(await errorsPage()),
  );

  for (const routes of [
    authRoutes,
    terminalRoutes,
    operatorRoutes,
    merchantRoutes,
    paymentRoutes,
    refundRoutes,
    customerRoutes,
    disputeRoutes,
    auditRoutes,
    credentialRoutes,
    recoveryRoutes,
    webhookRoutes,
    backupRoutes,
  ]) {
    await app.register(routes, { ctx });
  }
  await registerWebApp(app, opts.webRoot);
  return app;
}
