import { expect } from 'vitest';
import type { Actor } from '../../src/auth/actor.js';
import { authenticate } from '../../src/auth/session.service.js';
import { AppError } from '../../src/errors.js';
import type { Harness } from './harness.js';

/** What the service-level tests share: who calls a use case, and the code of the error it throws. */

export type Who =
  | 'owner'
  | 'supervisor'
  | 'cashier'
  | 'reviewer'
  | 'admin'
  | 'agent'
  | 'otherOwner'
  | 'otherSupervisor'
  /** A reviewer of another acquirer than the demo merchants'. */
  | 'stranger'
  /** An API key of the demo merchant with every scope. */
  | 'apiKey'
  | 'otherApiKey';

/** The AppError `p` rejects with (and fails the test when it resolves or throws anything else). */
export async function errorOf(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'an expected error').toBeInstanceOf(AppError);
  return e as AppError;
}

/** The code of the AppError `p` rejects with (and fails the test when it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  return (await errorOf(p)).code;
}

/**
 * The demo's people and API keys as the routes hand them to the use cases, against the harness
 * `harness()` returns: each signs in once per harness, and acts from 203.0.113.9 (the address
 * audit records and timelines name).
 */
export function demoActors(harness: () => Harness): (who: Who) => Promise<Actor> {
  const actors = new Map<Who, Actor>();
  let signedInOn: Harness | undefined;
  const headersOf = (h: Harness, who: Who) => {
    const scopes = ['payments:write', 'refunds:write', 'read'];
    switch (who) {
      case 'supervisor':
      case 'cashier':
        return h.operator(who);
      case 'otherSupervisor':
        return h.operator('supervisor', 'other');
      case 'stranger':
        return h.stranger('acquirer_reviewer');
      case 'apiKey':
        return h.apiKey(scopes);
      case 'otherApiKey':
        return h.apiKey(scopes, 'other');
      default:
        return h.login(who);
    }
  };
  return async (who) => {
    const h = harness();
    if (signedInOn !== h) {
      actors.clear();
      signedInOn = h;
    }
    if (!actors.has(who)) {
      const token = (await headersOf(h, who)).authorization.replace(/^Bearer /, '');
      actors.set(who, { ...(await authenticate(h.db, h.ctx, token)), ip: '203.0.113.9' });
    }
    return actors.get(who) as Actor;
  };
}
