import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorResponses, id } from '../http/schemas.js';
import { digits, secretText } from '../http/text.js';
import * as admin from './operator-admin.service.js';

const operatorSchema = z.object({
  code: z.string().describe('操作员号: 00 the supervisor, 01–99 cashiers'),
  role: z.enum(['supervisor', 'cashier']),
  mustChangePassword: z.boolean(),
  createdAt: z.string(),
});

const terminalParam = z.object({ id: id('trm') });

export const operatorRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/terminals/:id/operators',
    {
      config: { auth: { roles: admin.OPERATOR_ADMIN_ROLES } },
      schema: {
        tags: ['operators'],
        summary: '柜员管理 → 查询: the terminal’s operators (never their passwords)',
        params: terminalParam,
        response: { 200: z.object({ data: z.array(operatorSchema) }), ...errorResponses },
      },
    },
    async (req) => ({ data: await admin.listTerminalOperators(app.db.kysely, req.actor, req.params.id) }),
  );

  app.post(
    '/api/v1/terminals/:id/operators',
    {
      config: { auth: { roles: admin.OPERATOR_ADMIN_ROLES } },
      schema: {
        tags: ['operators'],
        summary: '柜员管理 → 增加: a cashier (01–99) with its first password; audited',
        params: terminalParam,
        body: z.object({ code: digits(2), password: secretText(64) }),
        response: { 201: operatorSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const added = await admin.addTerminalOperator(app.db, ctx, req.actor, req.params.id, req.body);
      return reply.code(201).send(added);
    },
  );

  app.delete(
    '/api/v1/terminals/:id/operators/:code',
    {
      config: { auth: { roles: admin.OPERATOR_ADMIN_ROLES } },
      schema: {
        tags: ['operators'],
        summary:
          '柜员管理 → 删除 (soft): not the supervisor, not oneself, not an operator with unsettled transactions; audited',
        params: z.object({ id: id('trm'), code: digits(2) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await admin.deleteTerminalOperator(app.db, ctx, req.actor, req.params.id, req.params.code);
      return reply.code(204).send(null);
    },
  );
};
