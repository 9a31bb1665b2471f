import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { idempotencyOf, markReplay } from '../http/idempotency.js';
import {
  amount,
  currency,
  errorResponses,
  id,
  idParam,
  page,
  pageQuery,
  receiptSchema,
  refundSchema,
  secret,
} from '../http/schemas.js';
import { refundReasons, refundStatuses } from './refund.js';
import * as refunds from './refund.service.js';

const readers = ['cashier', 'supervisor', 'merchant_owner', 'acquirer_reviewer', 'platform_admin', 'api_key'] as const;

export const refundRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/refunds',
    {
      config: { auth: { roles: ['cashier', 'supervisor', 'merchant_owner', 'api_key'], scope: 'refunds:write' } },
      schema: {
        tags: ['refunds'],
        summary: 'Refund (退货) a payment, all or part; operators and owners give the refund password',
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: z.object({
          paymentId: id('pay'),
          amount,
          currency: currency.optional(),
          reason: z.enum(refundReasons),
          refundPassword: secret.optional().describe('The merchant’s refund password (not needed with an API key)'),
          note: z.string().max(500).optional(),
        }),
        response: { 201: refundSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { refund, replayed } = await refunds.createCounterRefund(ctx, req.actor, req.body, idempotencyOf(req));
      markReplay(reply, replayed);
      return reply.code(201).send(refund);
    },
  );

  app.get(
    '/api/v1/refunds',
    {
      config: { auth: { roles: readers } },
      schema: {
        tags: ['refunds'],
        querystring: pageQuery.extend({ status: z.enum(refundStatuses).optional(), paymentId: id('pay').optional() }),
        response: { 200: page(refundSchema), ...errorResponses },
      },
    },
    async (req) => refunds.listRefunds(ctx, req.actor, req.query),
  );

  app.get(
    '/api/v1/refunds/:id',
    {
      config: { auth: { roles: readers } },
      schema: { tags: ['refunds'], params: idParam('re'), response: { 200: refundSchema, ...errorResponses } },
    },
    async (req) => refunds.getRefund(ctx, req.actor, req.params.id),
  );

  app.get(
    '/api/v1/refunds/:id/receipt',
    {
      config: { auth: { roles: readers } },
      schema: { tags: ['refunds'], params: idParam('re'), response: { 200: receiptSchema, ...errorResponses } },
    },
    async (req) => refunds.getRefundReceipt(ctx, req.actor, req.params.id),
  );

  app.post(
    '/api/v1/refunds/:id/cancel',
    {
      config: { auth: { roles: ['supervisor', 'merchant_owner', 'api_key'], scope: 'refunds:write' } },
      schema: {
        tags: ['refunds'],
        summary: 'Cancel a refund still waiting for the acquirer',
        params: idParam('re'),
        body: z.object({ reason: z.string().max(500).optional() }).default({}),
        response: { 200: refundSchema, ...errorResponses },
      },
    },
    async (req) => refunds.cancelRefund(ctx, req.actor, req.params.id, req.body.reason),
  );

  app.post(
    '/api/v1/refunds/:id/retry',
    {
      config: {
        auth: { roles: ['supervisor', 'merchant_owner', 'acquirer_reviewer', 'api_key'], scope: 'refunds:write' },
      },
      schema: {
        tags: ['refunds'],
        summary: 'Send a failed refund to the processor again',
        params: idParam('re'),
        response: { 200: refundSchema, ...errorResponses },
      },
    },
    async (req) => refunds.retryRefund(ctx, req.actor, req.params.id),
  );
};
