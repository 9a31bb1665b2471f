import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { idempotencyOf, markReplay } from '../http/idempotency.js';
import {
  amount,
  currency,
  errorResponses,
  id,
  idempotencyHeaders,
  idParam,
  page,
  pageQuery,
  paymentSchema,
  receiptQuery,
  receiptSchema,
  secret,
} from '../http/schemas.js';
import { line, prose } from '../http/text.js';
import * as payments from './payment.service.js';
import * as receipts from './payment-receipt.service.js';

const readers = ['cashier', 'supervisor', 'merchant_owner', 'acquirer_reviewer', 'platform_admin', 'api_key'] as const;

export const paymentRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/payments',
    {
      config: { auth: { roles: ['cashier', 'supervisor', 'api_key'], scope: 'payments:write' } },
      schema: {
        tags: ['payments'],
        summary: 'Sale (消费): charge a card through the simulated processor',
        headers: idempotencyHeaders,
        body: z.object({
          amount,
          currency: currency.optional(),
          card: z.object({ number: line(23, 12).describe('PAN; only BIN and last 4 are kept') }),
          terminalId: id('trm').optional().describe('Required with an API key; operators use their own terminal'),
        }),
        response: { 201: paymentSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { value: payment, replayed } = await payments.createPayment(
        app.db,
        ctx,
        req.actor,
        req.body,
        idempotencyOf(req),
      );
      markReplay(reply, replayed);
      return reply.code(201).send(payment);
    },
  );

  app.get(
    '/api/v1/payments',
    {
      config: { auth: { roles: readers } },
      schema: {
        tags: ['payments'],
        summary:
          'Payments, newest first; by 参考号, batch no. or 凭证号 (a terminal operator sees only its own terminal’s)',
        querystring: pageQuery.extend({
          reference: z
            .string()
            .regex(/^\d{12}$/)
            .optional()
            .describe('参考号: the 12 digits on the slip'),
          batch: z.coerce.number().int().min(1).max(999_999).optional().describe('批次号 of the payment’s terminal'),
          voucher: z.coerce
            .number()
            .int()
            .min(1)
            .max(999_999)
            .optional()
            .describe('凭证号 of the sale, its void or a refund at the terminal'),
        }),
        response: { 200: page(paymentSchema), ...errorResponses },
      },
    },
    async (req) => payments.listPayments(app.db.kysely, req.actor, req.query),
  );

  app.get(
    '/api/v1/payments/:id',
    {
      config: { auth: { roles: readers } },
      schema: { tags: ['payments'], params: idParam('pay'), response: { 200: paymentSchema, ...errorResponses } },
    },
    async (req) => payments.getPayment(app.db.kysely, req.actor, req.params.id),
  );

  app.get(
    '/api/v1/payments/:id/receipt',
    {
      config: { auth: { roles: readers } },
      schema: {
        tags: ['payments'],
        summary: 'The slip (签购单): the sale’s, or the void’s once voided; `kind` asks for one of them',
        querystring: receiptQuery.extend({ kind: z.enum(['sale', 'void']).optional() }),
        params: idParam('pay'),
        response: { 200: receiptSchema, ...errorResponses },
      },
    },
    async (req) => receipts.getPaymentReceipt(app.db.kysely, req.actor, req.params.id, req.query.tz, req.query.kind),
  );

  app.post(
    '/api/v1/payments/:id/void',
    {
      config: { auth: { roles: ['cashier', 'supervisor', 'merchant_owner', 'api_key'], scope: 'refunds:write' } },
      schema: {
        tags: ['payments'],
        summary:
          'Void (撤销) a sale of the open batch; needs the refund password (an API key with refunds:write is the authorisation itself)',
        params: idParam('pay'),
        headers: idempotencyHeaders,
        body: z.object({ refundPassword: secret.optional() }).default({}),
        response: { 200: paymentSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await payments.voidPayment(
        app.db,
        ctx,
        req.actor,
        req.params.id,
        req.body.refundPassword,
        idempotencyOf(req),
      );
      markReplay(reply, r.replayed);
      return r.value;
    },
  );

  app.post(
    '/api/v1/payments/:id/flag',
    {
      config: { auth: { roles: payments.FLAG_ROLES } },
      schema: {
        tags: ['payments'],
        summary: 'Acquirer risk flag: while flagged, refunds of the payment wait for a reviewer',
        params: idParam('pay'),
        body: z.object({ flagged: z.boolean(), reason: prose(500) }),
        response: { 200: paymentSchema, ...errorResponses },
      },
    },
    async (req) => payments.flagPayment(app.db, ctx, req.actor, req.params.id, req.body),
  );
};
