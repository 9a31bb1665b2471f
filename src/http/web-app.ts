import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { projectPath } from '../paths.js';

/** Where `npm run build` puts the web app (vite build of web/). */
export const WEB_ROOT = projectPath('dist/web');

/**
 * The app's pages load only their own scripts and styles, talk only to this origin and cannot be
 * framed. `/docs` (Swagger UI, with its inline styles) never gets it: it is not the app.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the app's fallback never answers: the API, its docs, health and metrics keep their own 404s. */
const NOT_THE_APP = /^\/(api\/|api$|docs|healthz|readyz|metrics)/;

function isAppPage(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = url.split('?')[0];
  const last = path.slice(path.lastIndexOf('/') + 1);
  // A missing file (/favicon.ico, /assets/gone.js) stays a 404 rather than becoming a page.
  return !NOT_THE_APP.test(path) && !last.includes('.');
}

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', APP_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache');
}

/**
 * Serves the built web app: `/assets/*` (content-hashed names, so cached for a year and immutable)
 * and `index.html` (never cached, so a new build is picked up) for every other GET that is not the
 * API's, the client-side router taking it from there. Without a build it serves nothing and says so.
 */
export async function registerWebApp(app: FastifyInstance, root: string = WEB_ROOT): Promise<void> {
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) {
    app.log.warn(`no web app at ${root}: run \`npm run build\` to serve the screens`);
    return;
  }
  const indexHtml = readFileSync(indexFile);
  // Loaded here, not at the top: every CLI command imports the app's module, few of them serve it.
  const { default: fastifyStatic } = await import('@fastify/static');
  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: '365d',
    schemaHide: true,
    // One route per built file: a missing asset is then no route at all, a plain 404 (with a wildcard
    // route the not-found handler would call it 405, method not allowed).
    wildcard: false,
    setHeaders: (reply) => reply.header('x-content-type-options', 'nosniff'),
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!req.is404 || !isAppPage(req.method, req.url)) return;
    return pageHeaders(reply).code(200).type('text/html; charset=utf-8').send(indexHtml);
  });
}
