import type { FastifyReply, FastifyRequest } from 'fastify';
import { idempotencyKeyInvalid } from '../idempotency/idempotency.errors.js';
import type { IdempotencyRequest, Idempotent } from '../idempotency/idempotency.service.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Reads the optional `Idempotency-Key` header. The fingerprint is method, route and body with
 * secret fields removed (it is a keyed hash, but a PIN has no business in it either). The key space
 * is the caller's merchant (or user); public routes pass their own `scope`.
 */
export function idempotencyOf(
  request: FastifyRequest,
  opts: { omit?: readonly string[]; scope?: string } = {},
): IdempotencyRequest | undefined {
  const omit = opts.omit ?? ['refundPassword', 'password'];
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || !KEY.test(key)) throw idempotencyKeyInvalid();
  const body = { ...((request.body as Record<string, unknown> | undefined) ?? {}) };
  for (const k of omit) delete body[k];
  return {
    // A public route has no actor: it names its own key space.
    scope: opts.scope ?? request.actor.merchantId ?? request.actor.id,
    key,
    fingerprint: { method: request.method, route: request.routeOptions.url, params: request.params, body },
  };
}

export function markReplay(reply: FastifyReply, replayed: boolean): void {
  if (replayed) reply.header('Idempotent-Replayed', 'true');
}

/** The value of an idempotent use case, with `Idempotent-Replayed: true` on the reply when it was. */
export function replied<T>(reply: FastifyReply, result: Idempotent<T>): T {
  markReplay(reply, result.replayed);
  return result.value;
}
