import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { peopleRoles } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import {
  batchTotalsSchema,
  errorResponses,
  idParam,
  openBatchSchema,
  page,
  pageQuery,
  terminalSchema,
} from '../http/schemas.js';
import * as payments from '../payments/payment.service.js';
import * as terminals from './terminal.service.js';

const seeAll = peopleRoles;

export const terminalRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/terminals',
    {
      config: { auth: { roles: [...seeAll, 'api_key'] } },
      schema: {
        tags: ['terminals'],
        summary: 'Terminals the caller may see, newest first',
        querystring: pageQuery,
        response: { 200: page(terminalSchema), ...errorResponses },
      },
    },
    async (req) => terminals.listTerminals(ctx, req.actor, req.query),
  );

  app.get(
    '/api/v1/public/terminals/:serial',
    {
      schema: {
        tags: ['terminals'],
        summary: 'Which terminal am I (终端号): what a terminal’s screen shows, found by its serial',
        security: [],
        params: z.object({ serial: z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'a terminal serial such as T-0001') }),
        response: {
          200: z.object({ id: z.string(), serial: z.string(), merchantName: z.string() }),
          ...errorResponses,
          429: errorResponses[403],
        },
      },
    },
    async (req) => terminals.getPublicTerminal(ctx, req.ip, req.params.serial),
  );

  app.get(
    '/api/v1/terminals/:id',
    {
      config: { auth: { roles: [...seeAll, 'api_key'] } },
      schema: { tags: ['terminals'], params: idParam('trm'), response: { 200: terminalSchema, ...errorResponses } },
    },
    async (req) => terminals.getTerminal(ctx, req.actor, req.params.id),
  );

  app.get(
    '/api/v1/terminals/:id/batch',
    {
      config: { auth: { roles: ['cashier', 'supervisor', 'merchant_owner'] } },
      schema: {
        tags: ['terminals'],
        summary: 'The open batch (查询 → 汇总): its number and totals so far (sales, voids, refunds)',
        params: idParam('trm'),
        response: { 200: openBatchSchema, ...errorResponses },
      },
    },
    async (req) => payments.openBatchSummary(ctx.db.kysely, ctx, req.actor, req.params.id),
  );

  app.post(
    '/api/v1/terminals/:id/settle',
    {
      config: { auth: { roles: ['supervisor', 'merchant_owner'] } },
      schema: {
        tags: ['terminals'],
        summary: 'Settle (结算): close the open batch and return its totals',
        params: idParam('trm'),
        response: { 200: batchTotalsSchema, ...errorResponses },
      },
    },
    async (req) => payments.settleTerminal(ctx, req.actor, req.params.id),
  );
};
