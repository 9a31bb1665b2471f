import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Harness } from '../../test/support/harness.js';

/** What the dispute route tests share: a customer's refund, a dispute on it, and short requests. */

export type Headers = Record<string, string>;
export type Body = Record<string, unknown>;

export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A problem without its request id, to compare two answers for sameness. */
export function problemOf(r: LightMyRequestResponse): Body {
  const { requestId: _, ...rest } = r.json();
  return { status: r.statusCode, ...rest };
}

/**
 * The requests of a dispute route test, against the harness `harness()` returns (opened in the
 * file's `beforeAll`). Each test acts from its own address (`nextIp`), so the public routes' rate
 * limits never meet.
 */
export function disputeRequests(harness: () => Harness) {
  let ipSeq = 0;
  const nextIp = () => `198.51.100.${++ipSeq}`;

  async function customerRefund(ip: string, amount = 6_000, saleAmount = 10_000) {
    const h = harness();
    const sale = await h.sale(saleAmount);
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      remoteAddress: ip,
      payload: {
        paymentReference: sale.reference,
        cardLast4: (sale.card as { last4: string }).last4,
        amount,
        reason: 'goods_returned',
        description: '鞋子开胶了 (the sole came off)',
        contact: { email: 'li.lei@example.cn' },
        language: 'en',
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    return { sale, refundId: r.json().id as string, secret: r.json().trackingSecret as string };
  }

  async function rejectRefund(refundId: string) {
    const h = harness();
    const r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${refundId}/merchant-decision`,
      headers: await h.login('owner'),
      payload: { decision: 'reject', reason: 'the shoes were worn' },
    });
    expect(r.statusCode, r.body).toBe(200);
  }

  const openDispute = (ip: string, payload: Body) =>
    harness().app.inject({ method: 'POST', url: '/api/v1/disputes', remoteAddress: ip, payload });

  async function rejectedDispute(ip: string) {
    const c = await customerRefund(ip);
    await rejectRefund(c.refundId);
    const r = await openDispute(ip, {
      refundId: c.refundId,
      trackingSecret: c.secret,
      description: '我不同意商户的拒绝',
    });
    expect(r.statusCode, r.body).toBe(201);
    return { ...c, disputeId: r.json().id as string };
  }

  async function paymentDispute(ip: string, saleAmount = 10_000) {
    const sale = await harness().sale(saleAmount);
    const r = await openDispute(ip, {
      paymentReference: sale.reference,
      cardLast4: (sale.card as { last4: string }).last4,
      description: 'charged twice for one coffee',
      reason: 'duplicate',
      contact: { phone: '13800138000' },
    });
    expect(r.statusCode, r.body).toBe(201);
    return { sale, disputeId: r.json().id as string, secret: r.json().accessSecret as string };
  }

  const get = (id: string, opts: { secret?: string; headers?: Headers; ip?: string } = {}) =>
    harness().app.inject({
      method: 'GET',
      url: `/api/v1/disputes/${id}${opts.secret ? `?secret=${encodeURIComponent(opts.secret)}` : ''}`,
      headers: opts.headers,
      remoteAddress: opts.ip,
    });
  const post = (id: string, action: string, payload: Body, opts: { headers?: Headers; ip?: string } = {}) =>
    harness().app.inject({
      method: 'POST',
      url: `/api/v1/disputes/${id}/${action}`,
      headers: opts.headers,
      remoteAddress: opts.ip,
      payload,
    });

  return { nextIp, customerRefund, rejectRefund, openDispute, rejectedDispute, paymentDispute, get, post };
}
