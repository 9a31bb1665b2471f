import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Reads the optional `Idempotency-Key` header. The fingerprint is method, route and body with
 * secret fields removed: a hash of a six-digit PIN would be easy to reverse.
 */
export function idempotencyOf(
  request: FastifyRequest,
  omit: readonly string[] = ['refundPassword', 'password'],
): IdempotencyRequest | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || !KEY.test(key))
    throw new AppError('validation_failed', 'Idempotency-Key must be 1–255 printable ASCII characters');
  const body = { ...((request.body as Record<string, unknown> | undefined) ?? {}) };
  for (const k of omit) delete body[k];
  const actor = request.actor;
  return {
    scope: actor.merchantId ?? actor.id,
    key,
    fingerprint: { method: request.method, route: request.routeOptions.url, params: request.params, body },
  };
}

export function markReplay(reply: FastifyReply, replayed: boolean): void {
  if (replayed) reply.header('Idempotent-Replayed', 'true');
}
