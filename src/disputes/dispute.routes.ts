import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { idempotencyOf, replied } from '../http/idempotency.js';
import { errorResponses, idempotencyHeaders, page, pageQuery } from '../http/schemas.js';
import { ATTACHMENT_TYPES, MAX_ATTACHMENTS_PER_MESSAGE, MESSAGE_BODY_LIMIT_BYTES } from './attachment.js';
import { type CaseFile, findCjkFont, renderCaseFilePdf } from './case-file.js';
import { getCaseFile, getSharedCaseFile } from './case-file.service.js';
import { closeDispute } from './close-dispute.js';
import { disputeStatuses } from './dispute.js';
import * as s from './dispute.schemas.js';
import type { DisputeCaller } from './dispute-access.js';
import { getAttachment, postMessage } from './dispute-messages.js';
import { getDispute, listDisputes } from './dispute-view.js';
import { escalate } from './escalation.js';
import { openPaymentDispute, openRefundDispute } from './open-dispute.js';
import { rateResolution } from './rate-resolution.js';
import { refer } from './referral.js';
import { decide } from './ruling.js';

/**
 * Dispute routes. Three kinds of caller:
 * - customers, who have no account: public routes, proof by the dispute's secret (the refund's
 *   tracking secret, or the access secret of a payment dispute) in the body, or for reads in the
 *   `X-Tracking-Secret` header (`?secret=` still works, but puts it in URLs and their logs);
 * - the merchant's owner and supervisors, and the acquirer's reviewers: bearer sessions;
 * - a third party holding a case file share link.
 * Routes both may call declare `auth` with `optional: true`: with a bearer token the app's one auth
 * hook holds the caller to the roles (401 / 403) and records its address, without one the service
 * asks for the secret. Routes only staff may call declare the usual `auth`.
 */

const MERCHANT_PEOPLE = ['supervisor', 'merchant_owner'] as const satisfies Role[];
const READERS = [...MERCHANT_PEOPLE, 'acquirer_reviewer', 'platform_admin'] as const satisfies Role[];
const PARTIES = [...MERCHANT_PEOPLE, 'acquirer_reviewer'] as const satisfies Role[];

/** A read's proof: the `X-Tracking-Secret` header, else `?secret=`. */
function readProof(req: FastifyRequest<{ Querystring: { secret?: string } }>): { secret?: string } {
  const header = req.headers['x-tracking-secret'];
  return { secret: (typeof header === 'string' ? header : undefined) ?? req.query.secret };
}

/** The caller as the service sees it: the signed-in person, or a customer with a secret. */
function callerOf(req: FastifyRequest, proof: { secret?: string; trackingSecret?: string } | undefined): DisputeCaller {
  if (req.actor) return { kind: 'staff', actor: req.actor };
  return { kind: 'customer', secret: proof?.secret ?? proof?.trackingSecret, ip: req.ip };
}

async function sendCaseFile(reply: FastifyReply, file: CaseFile, format: 'json' | 'pdf', disputeId: string) {
  if (format === 'json') return reply.header('cache-control', 'no-store').send(file);
  const pdf = await renderCaseFilePdf(file, { font: findCjkFont() });
  return reply
    .type('application/pdf')
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="case-file-${disputeId}.pdf"`)
    .send(pdf);
}

export const disputeRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  // The database handle the use cases take; from the context until the app carries it itself.
  const db: Db = app.db;
  const conn = db.kysely;

  app.post(
    '/api/v1/disputes',
    {
      schema: {
        tags: ['disputes'],
        summary: 'Open a dispute (协商): on a rejected, failed or overdue refund, or on a payment without one',
        description:
          'Either `refundId` + `trackingSecret` (the refund was rejected, failed, or is still pending past the merchant’s deadline), or `paymentReference` + `cardLast4` + `contact` (a payment the customer has no refund for; the answer carries an `accessSecret`, shown once). One dispute that is not closed per payment.',
        security: [],
        body: s.openBody,
        response: { 201: s.openedSchema, ...errorResponses, ...s.limited },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const opened =
        b.refundId !== undefined
          ? await openRefundDispute(db, ctx, req.ip, {
              refundId: b.refundId,
              trackingSecret: b.trackingSecret as string,
              description: b.description,
              contact: b.contact,
              language: b.language,
            })
          : await openPaymentDispute(db, ctx, req.ip, {
              paymentReference: b.paymentReference as string,
              cardLast4: b.cardLast4 as string,
              description: b.description,
              contact: b.contact ?? {},
              reason: b.reason,
              language: b.language,
            });
      return reply.code(201).header('cache-control', 'no-store').send(opened);
    },
  );

  app.get(
    '/api/v1/disputes',
    {
      config: { auth: { roles: READERS } },
      schema: {
        tags: ['disputes'],
        summary: 'Disputes of my merchant, or of my acquirer’s merchants',
        querystring: pageQuery.extend({ status: z.enum(disputeStatuses).optional() }),
        response: { 200: page(s.summarySchema), ...errorResponses },
      },
    },
    async (req) => listDisputes(conn, req.actor, req.query),
  );

  app.get(
    '/api/v1/disputes/:id',
    {
      config: { auth: { roles: READERS, optional: true } },
      schema: {
        tags: ['disputes'],
        summary:
          'A dispute with its thread and timeline (customer with the `X-Tracking-Secret` header, or merchant / acquirer)',
        params: s.disputeParams,
        headers: s.secretHeader,
        querystring: s.disputeQuery,
        response: { 200: s.disputeSchema, ...errorResponses, ...s.limited },
      },
    },
    async (req, reply) => {
      const dispute = await getDispute(db, ctx, callerOf(req, readProof(req)), req.params.id, req.query.lang);
      return reply.header('cache-control', 'no-store').send(dispute);
    },
  );

  app.post(
    '/api/v1/disputes/:id/messages',
    {
      config: { auth: { roles: PARTIES, optional: true } },
      bodyLimit: MESSAGE_BODY_LIMIT_BYTES,
      schema: {
        tags: ['disputes'],
        summary:
          'Write in the thread (customer with the secret, merchant owner / supervisor; the acquirer once escalated)',
        description: `Up to ${MAX_ATTACHMENTS_PER_MESSAGE} attachments of at most 1 MiB each: ${ATTACHMENT_TYPES.join(', ')}; the bytes must match the type.`,
        params: s.disputeParams,
        body: s.messageBody,
        response: { 201: s.disputeSchema, ...errorResponses, 413: errorResponses[400], ...s.limited },
      },
    },
    async (req, reply) => {
      const dispute = await postMessage(db, ctx, callerOf(req, req.body), req.params.id, req.body);
      return reply.code(201).send(dispute);
    },
  );

  app.get(
    '/api/v1/disputes/:id/attachments/:attachmentId',
    {
      config: { auth: { roles: READERS, optional: true } },
      schema: {
        tags: ['disputes'],
        summary: 'Download an attachment of the thread',
        params: s.attachmentParams,
        headers: s.secretHeader,
        querystring: s.secretQuery,
        response: { 200: z.any().describe('The file, with its content type'), ...errorResponses, ...s.limited },
      },
    },
    async (req, reply) => {
      const a = await getAttachment(db, ctx, callerOf(req, readProof(req)), req.params.id, req.params.attachmentId);
      return reply
        .type(a.contentType)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(a.filename)}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('digest', `sha-256=${Buffer.from(a.sha256, 'hex').toString('base64')}`)
        .header('cache-control', 'no-store')
        .send(a.data);
    },
  );

  app.post(
    '/api/v1/disputes/:id/escalate',
    {
      schema: {
        tags: ['disputes'],
        summary:
          'The customer escalates to the payment institution (at once after a merchant rejection, else after the negotiation period)',
        security: [],
        params: s.disputeParams,
        body: s.escalateBody,
        response: { 200: s.disputeSchema, ...errorResponses, ...s.limited },
      },
    },
    async (req) => escalate(db, ctx, callerOf(req, req.body), req.params.id, req.body.reason),
  );

  app.post(
    '/api/v1/disputes/:id/decision',
    {
      config: { auth: { roles: ['acquirer_reviewer'] } },
      schema: {
        tags: ['disputes'],
        summary: 'The acquirer rules on an escalated dispute; for the customer it orders a refund',
        description:
          'A reviewer of the merchant’s own acquirer only. `amount` (minor units) defaults to the disputed refund’s amount, or to what is refundable; the refund is bounded by what is still refundable.',
        params: s.disputeParams,
        headers: idempotencyHeaders,
        body: s.rulingBody,
        response: { 200: s.rulingSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const idempotency = idempotencyOf(req);
      const { dispute, refund } = replied(
        reply,
        await decide(db, ctx, req.actor, req.params.id, req.body, idempotency),
      );
      return { dispute, refundId: refund?.id ?? null };
    },
  );

  app.post(
    '/api/v1/disputes/:id/refer',
    {
      config: { auth: { roles: MERCHANT_PEOPLE, optional: true } },
      schema: {
        tags: ['disputes'],
        summary: 'Refer a dispute ruled for the merchant to a third party: freezes the case file, makes a share link',
        params: s.disputeParams,
        body: s.referBody,
        response: { 201: s.referralSchema, ...errorResponses, ...s.limited },
      },
    },
    async (req, reply) => {
      const referral = await refer(db, ctx, callerOf(req, req.body), req.params.id, req.body.reason);
      return reply.code(201).header('cache-control', 'no-store').send(referral);
    },
  );

  app.post(
    '/api/v1/disputes/:id/close',
    {
      config: { auth: { roles: PARTIES, optional: true } },
      schema: {
        tags: ['disputes'],
        summary:
          'Close a dispute: settled, withdrawn, accepted (a ruling for the merchant), or concluded (after a referral)',
        params: s.disputeParams,
        body: s.closeBody,
        response: { 200: s.disputeSchema, ...errorResponses, ...s.limited },
      },
    },
    async (req) => closeDispute(db, ctx, callerOf(req, req.body), req.params.id, req.body),
  );

  app.post(
    '/api/v1/disputes/:id/rating',
    {
      schema: {
        tags: ['disputes'],
        summary: 'The customer rates how the dispute was resolved (1–5), once',
        security: [],
        params: s.disputeParams,
        body: s.ratingBody,
        response: { 200: s.disputeSchema, ...errorResponses, ...s.limited },
      },
    },
    async (req) => rateResolution(db, ctx, callerOf(req, req.body), req.params.id, req.body),
  );

  app.get(
    '/api/v1/disputes/:id/case-file',
    {
      config: { auth: { roles: READERS } },
      schema: {
        tags: ['disputes'],
        summary: 'The case file as it stands, JSON or PDF (merchant owner / supervisor, acquirer), at any stage',
        description: s.pdfNote,
        params: s.disputeParams,
        querystring: z.object({ format: s.formatQuery }),
        response: { 200: s.caseFileSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendCaseFile(reply, await getCaseFile(db, ctx, req.actor, req.params.id), req.query.format, req.params.id),
  );

  app.get(
    '/api/v1/public/case-files/:token',
    {
      schema: {
        tags: ['disputes'],
        summary: 'The case file frozen at referral, for the third party holding the share link',
        description: `${s.pdfNote} The link expires (410 share_link_expired).`,
        security: [],
        params: s.shareTokenParams,
        querystring: z.object({ format: s.formatQuery }),
        response: { 200: s.caseFileSchema, ...errorResponses, 410: errorResponses[404], ...s.limited },
      },
    },
    async (req, reply) => {
      const file = await getSharedCaseFile(db, ctx, req.ip, req.params.token);
      return sendCaseFile(reply, file, req.query.format, file.content.dispute.id);
    },
  );
};
