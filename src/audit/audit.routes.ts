import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { errorResponses, id, page, pageQuery } from '../http/schemas.js';
import { line } from '../http/text.js';
import * as audit from './audit.service.js';
import { auditOutcomes, PLATFORM_CHAIN } from './audit-event.js';

export const auditEventSchema = z
  .object({
    id: z.string(),
    chain: z.string().describe('The merchant id, or "platform"'),
    merchantId: z.string().nullable(),
    seq: z.number().int().describe('1, 2, 3… within the chain'),
    at: z.string().describe('UTC, ISO 8601'),
    actor: z.object({ kind: z.string(), id: z.string().nullable() }),
    action: z.string().describe('e.g. refund.status_changed, refund_password.changed, auth.login_failed'),
    outcome: z.enum(auditOutcomes),
    objectType: z.string().nullable(),
    objectId: z.string().nullable(),
    terminalId: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string().describe('hash of the previous event of the chain; 64 zeros for the first'),
    hash: z.string().describe('SHA-256 of the canonical record (see README, Audit log)'),
  })
  .describe('One audit event (PCI DSS 10.2)');

const isoTime = z.iso.datetime({ offset: true });

export const auditRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/audit-events',
    {
      config: { auth: { roles: audit.auditReaders } },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first: owners see their merchant, reviewers their acquirer’s',
        querystring: pageQuery.extend({
          merchantId: z
            .union([id('mer'), z.literal(PLATFORM_CHAIN)])
            .optional()
            .describe('One merchant’s chain; "platform" (platform admins only) for platform events'),
          action: line(100).optional(),
          objectId: line(64).optional(),
          from: isoTime.optional().describe('inclusive'),
          to: isoTime.optional().describe('exclusive'),
        }),
        response: { 200: page(auditEventSchema), ...errorResponses },
      },
    },
    async (req) => audit.listAuditEvents(app.db, ctx, req.actor, req.query),
  );
};
