import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorResponses, idParam, page, pageQuery } from '../http/schemas.js';
import { label, line, prose } from '../http/text.js';
import { deliveryStatuses, MAX_URL_LENGTH, WILDCARD, webhookEventTypes } from './webhook.js';
import * as webhooks from './webhook.service.js';

const owner = { auth: { roles: ['merchant_owner'] as const } };

const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  createdAt: z.string(),
});

const deliverySchema = z.object({
  id: z.string(),
  endpointId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});

export const webhookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/webhook-endpoints',
    {
      config: owner,
      schema: {
        tags: ['webhooks'],
        summary: 'Register a webhook endpoint (the signing secret is shown once)',
        body: z.object({
          url: label(MAX_URL_LENGTH).describe('http(s) URL that receives signed POSTs'),
          events: z
            .array(line(64))
            .min(1)
            .max(20)
            .describe(`Any of ${webhookEventTypes.join(', ')}, or ${WILDCARD} for all`),
          description: prose(500).optional(),
        }),
        response: {
          201: endpointSchema.extend({ secret: z.string().describe('whsec_…; shown once') }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => reply.code(201).send(await webhooks.createWebhookEndpoint(app.db, ctx, req.actor, req.body)),
  );

  app.get(
    '/api/v1/webhook-endpoints',
    {
      config: owner,
      schema: {
        tags: ['webhooks'],
        querystring: pageQuery,
        response: { 200: page(endpointSchema), ...errorResponses },
      },
    },
    async (req) => webhooks.listWebhookEndpoints(app.db.kysely, req.actor, req.query),
  );

  app.get(
    '/api/v1/webhook-endpoints/:id',
    {
      config: owner,
      schema: { tags: ['webhooks'], params: idParam('whe'), response: { 200: endpointSchema, ...errorResponses } },
    },
    async (req) => webhooks.getWebhookEndpoint(app.db.kysely, req.actor, req.params.id),
  );

  app.delete(
    '/api/v1/webhook-endpoints/:id',
    {
      config: owner,
      schema: {
        tags: ['webhooks'],
        summary: 'Delete an endpoint: nothing more is sent to it; its delivery log stays',
        params: idParam('whe'),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await webhooks.deleteWebhookEndpoint(app.db, ctx, req.actor, req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/webhook-endpoints/:id/deliveries',
    {
      config: owner,
      schema: {
        tags: ['webhooks'],
        summary: 'The delivery log of an endpoint, newest first',
        params: idParam('whe'),
        querystring: pageQuery.extend({ status: z.enum(deliveryStatuses).optional() }),
        response: { 200: page(deliverySchema), ...errorResponses },
      },
    },
    async (req) => webhooks.listWebhookDeliveries(app.db.kysely, req.actor, req.params.id, req.query),
  );
};
