import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorResponses, idParam } from '../http/schemas.js';
import * as merchants from './merchant.service.js';

const merchantSchema = z.object({
  id: z.string(),
  name: z.string(),
  acquirerId: z.string(),
  currency: z.string(),
  language: z.enum(['zh-CN', 'en']),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  createdAt: z.string(),
});

export const merchantRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app) => {
  app.get(
    '/api/v1/merchants/:id',
    {
      config: {
        auth: { roles: ['cashier', 'supervisor', 'merchant_owner', 'acquirer_reviewer', 'platform_admin', 'api_key'] },
      },
      schema: { tags: ['merchants'], params: idParam('mer'), response: { 200: merchantSchema, ...errorResponses } },
    },
    async (req) => merchants.getMerchant(app.db.kysely, req.actor, req.params.id),
  );
};
