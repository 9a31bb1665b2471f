import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorResponses, id, idParam } from '../http/schemas.js';
import * as loginPasswords from './login-password.service.js';
import * as refundPasswords from './refund-password.service.js';

const newPassword = {
  newPassword: z.string().min(1).max(256),
  confirmPassword: z.string().min(1).max(256),
};

const statusSchema = z.object({
  changedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  daysLeft: z.number().int().nullable(),
  expired: z.boolean(),
  reminder: z.boolean(),
});

export const credentialRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.put(
    '/api/v1/merchants/:id/refund-password',
    {
      config: { auth: { roles: refundPasswords.REFUND_PASSWORD_CHANGE_ROLES } },
      schema: {
        tags: ['refund password'],
        summary: 'Change the refund password (修改退款密码): current, new, confirm; then everyone logs in again',
        params: idParam('mer'),
        body: z.object({ currentPassword: z.string().min(1).max(64), ...newPassword }),
        response: { 204: z.null(), ...errorResponses, 423: errorResponses[403] },
      },
    },
    async (req, reply) => {
      await refundPasswords.changeRefundPassword(ctx, req.actor, req.params.id, req.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/merchants/:id/refund-password/status',
    {
      config: { auth: { roles: refundPasswords.REFUND_PASSWORD_STATUS_ROLES } },
      schema: {
        tags: ['refund password'],
        summary: 'When the refund password was changed and when it expires (never the password)',
        params: idParam('mer'),
        response: { 200: statusSchema, ...errorResponses },
      },
    },
    async (req) => refundPasswords.refundPasswordStatusFor(ctx, req.actor, req.params.id),
  );

  app.put(
    '/api/v1/auth/password',
    {
      config: {
        auth: {
          roles: ['cashier', 'supervisor', 'merchant_owner', 'acquirer_reviewer', 'agent_staff', 'platform_admin'],
          allowWhilePasswordChangeRequired: true,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Change your own login password (operators and console users); then log in again',
        body: z.object({ currentPassword: z.string().min(1).max(256), ...newPassword }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await loginPasswords.changeOwnPassword(ctx, req.actor, req.body);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/terminals/:id/operators/:code/password-reset',
    {
      config: { auth: { roles: loginPasswords.OPERATOR_RESET_ROLES } },
      schema: {
        tags: ['auth'],
        summary: 'Give an operator a temporary password they must change at next login',
        params: z.object({ id: id('trm'), code: z.string().regex(/^\d{2}$/) }),
        body: z.object({ temporaryPassword: z.string().min(1).max(64) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await loginPasswords.resetOperatorPassword(
        ctx,
        req.actor,
        req.params.id,
        req.params.code,
        req.body.temporaryPassword,
      );
      return reply.code(204).send(null);
    },
  );
};
