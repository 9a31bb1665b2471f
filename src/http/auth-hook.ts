import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, ApiKeyScope, Role } from '../auth/actor.js';
import * as errors from '../auth/auth.errors.js';
import { authenticate } from '../auth/session.service.js';
import type { AppContext } from '../context.js';

/** Declared on each route: who may call it. Routes without it are public. */
export interface RouteAuth {
  roles: readonly Role[];
  /** What an API key needs to call this route (API keys must also be in `roles` as 'api_key'). */
  scope?: ApiKeyScope;
  /** The one thing a session with a reset password may do: change it (and log out). */
  allowWhilePasswordChangeRequired?: boolean;
  /**
   * Optional authentication: a request without an `Authorization` header goes on with no actor
   * (`request.actor` stays null, and the route's service asks for another proof, such as a
   * dispute's secret); a request with one is held to everything above, as on any route.
   */
  optional?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** The caller, on every route that declares `auth`; null on an `optional` one called without a token. */
    actor: Actor;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/** One hook checks every route's declared `auth`: token, role, then API key scope. */
export function registerAuthHook(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request) => {
    const auth = request.routeOptions.config.auth;
    if (!auth) return;
    if (auth.optional && !request.headers.authorization) return;
    const token = bearer(request);
    if (!token) throw errors.unauthenticated();
    const actor = await authenticate(app.db, ctx, token);
    if (!auth.roles.includes(actor.role)) throw errors.roleNotAllowed(actor.role);
    if (actor.kind === 'api_key') {
      const ok = auth.scope
        ? actor.scopes.includes(auth.scope)
        : actor.scopes.includes('read') && request.method === 'GET';
      if (!ok) throw errors.insufficientScope(auth.scope ?? 'read');
    }
    if (actor.mustChangePassword && !auth.allowWhilePasswordChangeRequired) {
      throw errors.passwordChangeRequired();
    }
    // The address the audit log records as "where" (PCI DSS 10.2.2); trustProxy is off, so it is
    // the socket's peer, which a client cannot forge with a header.
    request.actor = { ...actor, ip: request.ip };
  });
}
