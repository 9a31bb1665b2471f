import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { idempotencyOf, markReplay, replied } from '../http/idempotency.js';
import {
  amount,
  currency,
  errorResponses,
  id,
  idempotencyHeaders,
  idParam,
  MAX_AMOUNT,
  page,
  pageQuery,
  problemSchema,
  receiptQuery,
  receiptSchema,
  refundSchema,
  secret,
} from '../http/schemas.js';
import { prose } from '../http/text.js';
import { refundReasons, refundStatuses } from './refund.js';
import * as refunds from './refund.service.js';
import * as policies from './refund-policy.service.js';
import * as reviews from './refund-review.service.js';

const readers = ['cashier', 'supervisor', 'merchant_owner', 'acquirer_reviewer', 'platform_admin', 'api_key'] as const;

export const refundRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/refunds',
    {
      config: {
        auth: { roles: ['cashier', 'supervisor', 'merchant_owner', 'api_key'], scope: 'refunds:write' },
        admission: true,
      },
      schema: {
        tags: ['refunds'],
        summary: 'Refund (退货) a payment, all or part; operators and owners give the refund password',
        headers: idempotencyHeaders,
        body: z.object({
          paymentId: id('pay'),
          amount,
          currency: currency.optional(),
          reason: z.enum(refundReasons),
          refundPassword: secret.optional().describe('The merchant’s refund password (not needed with an API key)'),
          note: prose(500).optional(),
        }),
        response: { 201: refundSchema, ...errorResponses, 503: problemSchema },
      },
    },
    async (req, reply) => {
      const { value: refund, replayed } = await refunds.createCounterRefund(
        app.db,
        ctx,
        req.actor,
        req.body,
        idempotencyOf(req),
      );
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
    async (req) => refunds.listRefunds(app.db.kysely, req.actor, req.query),
  );

  app.get(
    '/api/v1/refunds/:id',
    {
      config: { auth: { roles: readers } },
      schema: { tags: ['refunds'], params: idParam('re'), response: { 200: refundSchema, ...errorResponses } },
    },
    async (req) => refunds.getRefund(app.db.kysely, req.actor, req.params.id),
  );

  app.get(
    '/api/v1/refunds/:id/receipt',
    {
      config: { auth: { roles: readers } },
      schema: {
        tags: ['refunds'],
        querystring: receiptQuery,
        params: idParam('re'),
        response: { 200: receiptSchema, ...errorResponses },
      },
    },
    async (req) => refunds.getRefundReceipt(app.db.kysely, req.actor, req.params.id, req.query.tz),
  );

  app.post(
    '/api/v1/refunds/:id/cancel',
    {
      config: { auth: { roles: ['supervisor', 'merchant_owner', 'api_key'], scope: 'refunds:write' } },
      schema: {
        tags: ['refunds'],
        summary: 'Cancel a refund still waiting for the acquirer',
        params: idParam('re'),
        body: z.object({ reason: prose(500).optional() }).default({}),
        response: { 200: refundSchema, ...errorResponses },
      },
    },
    async (req) => refunds.cancelRefund(app.db, ctx, req.actor, req.params.id, req.body.reason),
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
        headers: idempotencyHeaders,
        response: { 200: refundSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      replied(reply, await refunds.retryRefund(app.db, ctx, req.actor, req.params.id, idempotencyOf(req))),
  );

  app.post(
    '/api/v1/refunds/:id/merchant-decision',
    {
      config: { auth: { roles: ['supervisor', 'merchant_owner', 'api_key'], scope: 'refunds:write' } },
      schema: {
        tags: ['refund review'],
        summary:
          'Merchant review (商户审核): approve with the refund password, or reject with a reason for the customer',
        params: idParam('re'),
        headers: idempotencyHeaders,
        body: z.object({
          decision: z.enum(['approve', 'reject']),
          reason: prose(500).optional(),
          refundPassword: secret.optional(),
        }),
        response: { 200: refundSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      replied(
        reply,
        await reviews.decideAsMerchant(app.db, ctx, req.actor, req.params.id, req.body, idempotencyOf(req)),
      ),
  );

  app.post(
    '/api/v1/refunds/:id/acquirer-decision',
    {
      // A reviewer of the merchant's acquirer decides (issue 4); the platform admin sees the queue
      // but does not stand in for the acquirer.
      config: { auth: { roles: ['acquirer_reviewer'] } },
      schema: {
        tags: ['refund review'],
        summary: 'Acquirer review by hand (支付机构审核): approve to processing, or reject; who and why are recorded',
        params: idParam('re'),
        headers: idempotencyHeaders,
        body: z.object({ decision: z.enum(['approve', 'reject']), reason: prose(500) }),
        response: { 200: refundSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      replied(
        reply,
        await reviews.decideAsAcquirer(app.db, ctx, req.actor, req.params.id, req.body, idempotencyOf(req)),
      ),
  );

  app.get(
    '/api/v1/acquirer/refund-reviews',
    {
      config: { auth: { roles: ['acquirer_reviewer', 'platform_admin'] } },
      schema: {
        tags: ['refund review'],
        summary: 'The acquirer’s manual review queue',
        querystring: pageQuery,
        response: { 200: page(refundSchema), ...errorResponses },
      },
    },
    async (req) => reviews.listManualReviews(app.db.kysely, req.actor, req.query),
  );

  app.get(
    '/api/v1/merchants/:id/refund-policy',
    {
      config: { auth: { roles: ['cashier', 'supervisor', 'merchant_owner', 'acquirer_reviewer', 'platform_admin'] } },
      schema: { tags: ['refund policy'], params: idParam('mer'), response: { 200: policySchema, ...errorResponses } },
    },
    async (req) => policies.getRefundPolicyFor(app.db.kysely, req.actor, req.params.id),
  );

  app.put(
    '/api/v1/merchants/:id/refund-policy',
    {
      config: { auth: { roles: ['merchant_owner'] } },
      schema: {
        tags: ['refund policy'],
        summary: 'Set the merchant’s refund policy',
        params: idParam('mer'),
        body: policySchema.omit({ merchantId: true, updatedAt: true }),
        response: { 200: policySchema, ...errorResponses },
      },
    },
    async (req) => policies.setRefundPolicy(app.db, ctx, req.actor, req.params.id, req.body),
  );
};

const policySchema = z.object({
  merchantId: z.string(),
  windowDays: z.number().int().min(0).max(3650),
  partialAllowed: z.boolean(),
  reasons: z.array(z.enum(refundReasons)).min(1),
  merchantAutoApproveUpTo: z.number().int().min(0).max(MAX_AMOUNT),
  acquirerManualReviewAbove: z.number().int().min(0).max(MAX_AMOUNT),
  merchantReviewHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30),
  updatedAt: z.string().nullable(),
});
