import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { errorCatalog } from '../../src/errors.js';
import type { Harness } from '../support/harness.js';

export const knownCodes = new Set(Object.keys(errorCatalog));

/** Asserts an RFC 9457 answer with a catalogued code; returns the body for more checks. */
export function expectProblem(r: LightMyRequestResponse, label = ''): Record<string, unknown> {
  const where = `${label} → ${r.statusCode} ${r.body.slice(0, 400)}`;
  expect(r.headers['content-type'], where).toMatch(/^application\/problem\+json/);
  const body = r.json() as Record<string, unknown>;
  expect(knownCodes.has(String(body.code)), `unknown code in ${where}`).toBe(true);
  expect(body.status, where).toBe(r.statusCode);
  expect(body.type, where).toBe(`/docs/errors#${String(body.code)}`);
  expect(typeof body.requestId, where).toBe('string');
  expect(typeof body.title, where).toBe('string');
  return body;
}

/** Rows that money-moving requests write: a bad request must leave every count as it was. */
const TABLES = ['payments', 'refunds', 'refund_events', 'jobs', 'idempotency_keys', 'batches'] as const;

export async function rowCounts(h: Harness): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await h.db.kysely
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}

/** The amounts of a payment as the API reports them (read with an all-seeing session). */
export async function paymentAmounts(h: Harness, id: string): Promise<Record<string, unknown>> {
  const r = await h.app.inject({ method: 'GET', url: `/api/v1/payments/${id}`, headers: await h.login('admin') });
  expect(r.statusCode, r.body).toBe(200);
  const p = r.json();
  return {
    status: p.status,
    refundedAmount: p.refundedAmount,
    pendingRefundAmount: p.pendingRefundAmount,
    refundableAmount: p.refundableAmount,
  };
}
