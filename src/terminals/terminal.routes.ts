import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { peopleRoles } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { batchTotalsSchema, errorResponses, idParam, page, pageQuery, terminalSchema } from '../http/schemas.js';
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
    '/api/v1/terminals/:id',
    {
      config: { auth: { roles: [...seeAll, 'api_key'] } },
      schema: { tags: ['terminals'], params: idParam('trm'), response: { 200: terminalSchema, ...errorResponses } },
    },
    async (req) => terminals.getTerminal(ctx, req.actor, req.params.id),
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
