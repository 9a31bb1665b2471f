import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { actorSchema, errorResponses, id, page, pageQuery } from '../http/schemas.js';
import { digits, label, line, secretText } from '../http/text.js';
import { apiKeyScopes, peopleRoles, roles } from './actor.js';
import * as apiKeys from './api-key.service.js';
import * as sessions from './session.service.js';

const loginResult = z.object({
  token: z.string().describe('Bearer token; send as `Authorization: Bearer <token>`'),
  expiresAt: z.string(),
  role: z.enum(roles),
  mustChangePassword: z.boolean().describe('A supervisor reset this password: change it before anything else'),
  refundPasswordReminder: z
    .object({ daysLeft: z.number().int(), expiresAt: z.string().nullable(), expired: z.boolean() })
    .nullable()
    .describe('Shown from 14 days before the refund password expires'),
  actor: z.object({
    id: z.string(),
    merchantId: z.string().nullable(),
    terminalId: z.string().nullable(),
    acquirerId: z.string().nullable(),
    agentId: z.string().nullable(),
  }),
});

const apiKeySchema = z.object({
  id: z.string(),
  merchantId: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(apiKeyScopes)),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});

/** Everyone who logs in (an API key has no session to end). */
const sessionRoles = peopleRoles;

export const authRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Console login (merchant owner, acquirer reviewer, agent staff, admin)',
        body: z.object({ email: line(254, 3), password: secretText(256) }),
        response: { 200: loginResult, ...errorResponses },
      },
    },
    async (req) => sessions.loginUser(app.db, ctx, req.body.email, req.body.password, { ip: req.ip }),
  );

  app.post(
    '/api/v1/terminals/:terminalId/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Operator login at a terminal (operator 00 = supervisor, 01–99 = cashiers)',
        params: z.object({ terminalId: id('trm') }),
        body: z.object({ operator: digits(2), password: secretText(64) }),
        response: { 200: loginResult, ...errorResponses },
      },
    },
    async (req) =>
      sessions.loginOperator(app.db, ctx, req.params.terminalId, req.body.operator, req.body.password, { ip: req.ip }),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { auth: { roles: sessionRoles, allowWhilePasswordChangeRequired: true } },
      schema: { tags: ['auth'], summary: 'End this session', response: { 204: z.null(), ...errorResponses } },
    },
    async (req, reply) => {
      await sessions.logout(app.db, ctx, req.actor);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      config: { auth: { roles } },
      schema: { tags: ['auth'], summary: 'Who am I', response: { 200: actorSchema, ...errorResponses } },
    },
    async (req) => {
      const { sessionId: _s, scopes, ...actor } = req.actor;
      return { ...actor, scopes: [...scopes] };
    },
  );

  app.post(
    '/api/v1/api-keys',
    {
      config: { auth: { roles: ['merchant_owner'] } },
      schema: {
        tags: ['api keys'],
        summary: 'Create a merchant API key (the secret is shown once)',
        body: z.object({ name: label(100), scopes: z.array(z.enum(apiKeyScopes)).min(1) }),
        response: { 201: apiKeySchema.extend({ secret: z.string() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const key = await apiKeys.createApiKey(app.db, ctx, req.actor.merchantId as string, req.actor.id, req.body);
      return reply.code(201).send(key);
    },
  );

  app.get(
    '/api/v1/api-keys',
    {
      config: { auth: { roles: ['merchant_owner'] } },
      schema: {
        tags: ['api keys'],
        summary: 'The merchant’s API keys, newest first (never their secrets)',
        querystring: pageQuery,
        response: { 200: page(apiKeySchema), ...errorResponses },
      },
    },
    async (req) => apiKeys.listApiKeys(app.db.kysely, req.actor.merchantId as string, req.query),
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      config: { auth: { roles: ['merchant_owner'] } },
      schema: {
        tags: ['api keys'],
        params: z.object({ id: id('key') }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await apiKeys.revokeApiKey(app.db, ctx, req.actor.merchantId as string, req.params.id);
      return reply.code(204).send(null);
    },
  );
};
