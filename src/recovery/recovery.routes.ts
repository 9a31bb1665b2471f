import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorResponses, id, idParam } from '../http/schemas.js';
import { digits, secretText } from '../http/text.js';
import * as agentUnlock from './agent-unlock.service.js';
import * as recoveryCodes from './recovery-code.service.js';

const newPassword = {
  newPassword: secretText(64),
  confirmPassword: secretText(64),
};

const locked = { 423: errorResponses[403], 429: errorResponses[403] };

export const recoveryRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/terminals/:id/unlock-challenge',
    {
      config: { auth: { roles: agentUnlock.CHALLENGE_ROLES } },
      schema: {
        tags: ['refund password recovery'],
        summary: 'Forgotten refund password, agent way, step 1: the terminal shows a challenge',
        params: idParam('trm'),
        response: { 201: z.object({ challenge: z.string(), expiresAt: z.string() }), ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await agentUnlock.issueChallenge(app.db, ctx, req.actor, req.params.id)),
  );

  app.post(
    '/api/v1/agent/unlock-codes',
    {
      config: { auth: { roles: agentUnlock.UNLOCK_CODE_ROLES } },
      schema: {
        tags: ['refund password recovery'],
        summary: 'Step 2, agent console: the challenge becomes a one-time unlock code (agents of the terminal only)',
        body: z.object({ terminalId: id('trm'), challenge: digits(10) }),
        response: {
          201: z.object({ unlockCode: z.string(), expiresAt: z.string(), terminalSerial: z.string() }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await agentUnlock.issueUnlockCode(app.db, ctx, req.actor, req.body.terminalId, req.body.challenge)),
  );

  app.post(
    '/api/v1/terminals/:id/refund-password/reset',
    {
      config: { auth: { roles: agentUnlock.UNLOCK_RESET_ROLES } },
      schema: {
        tags: ['refund password recovery'],
        summary: 'Step 3, at the terminal: the unlock code sets a new refund password',
        params: idParam('trm'),
        body: z.object({ unlockCode: digits(8), ...newPassword }),
        response: { 204: z.null(), ...errorResponses, ...locked },
      },
    },
    async (req, reply) => {
      await agentUnlock.resetWithUnlockCode(app.db, ctx, req.actor, req.params.id, req.body);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/merchants/:id/refund-password/recovery',
    {
      config: { auth: { roles: recoveryCodes.RECOVERY_CODE_ROLES } },
      schema: {
        tags: ['refund password recovery'],
        summary: 'Forgotten refund password, SMS / e-mail way: send a one-time code to the registered contact',
        params: idParam('mer'),
        body: z.object({ channel: z.enum(['sms', 'email']) }),
        response: {
          202: z.object({ status: z.literal('sent_if_registered'), expiresInSeconds: z.number().int() }),
          ...errorResponses,
          ...locked,
        },
      },
    },
    async (req, reply) =>
      reply
        .code(202)
        .send(await recoveryCodes.sendRecoveryCode(app.db, ctx, req.actor, req.params.id, req.body.channel)),
  );

  app.post(
    '/api/v1/merchants/:id/refund-password/recovery/verify',
    {
      config: { auth: { roles: recoveryCodes.RECOVERY_CODE_ROLES } },
      schema: {
        tags: ['refund password recovery'],
        summary: 'Finish: the one-time code sets a new refund password',
        params: idParam('mer'),
        body: z.object({ code: digits(6), ...newPassword }),
        response: { 204: z.null(), ...errorResponses, ...locked },
      },
    },
    async (req, reply) => {
      await recoveryCodes.verifyRecoveryCode(app.db, ctx, req.actor, req.params.id, req.body);
      return reply.code(204).send(null);
    },
  );
};
