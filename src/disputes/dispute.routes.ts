import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../auth/actor.js';
import { authenticate } from '../auth/session.service.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { idempotencyOf, markReplay } from '../http/idempotency.js';
import { amount, errorResponses, id, idempotencyHeaders, page, pageQuery, secret } from '../http/schemas.js';
import { coded, contactFields, label, line, prose } from '../http/text.js';
import { refundReasons } from '../refunds/refund.js';
import {
  ATTACHMENT_TYPES,
  MAX_ATTACHMENT_BASE64_CHARS,
  MAX_ATTACHMENTS_PER_MESSAGE,
  MESSAGE_BODY_LIMIT_BYTES,
} from './attachment.js';
import { type CaseFile, findCjkFont, renderCaseFilePdf } from './case-file.js';
import { closeOutcomes, disputeStatuses, rulingOutcomes } from './dispute.js';
import * as disputes from './dispute.service.js';

/**
 * Dispute routes. Three kinds of caller:
 * - customers, who have no account: public routes, proof by the dispute's secret (the refund's
 *   tracking secret, or the access secret of a payment dispute) in the body, or for reads in the
 *   `X-Tracking-Secret` header (`?secret=` still works, but puts it in URLs and their logs);
 * - the merchant's owner and supervisors, and the acquirer's reviewers: bearer sessions;
 * - a third party holding a case file share link.
 * Routes both may call declare `disputeAccess`: with a bearer token the caller is checked against
 * its `staff` roles exactly as the app's auth hook checks `auth` (401 / 403), without one the
 * service asks for the secret. Routes only staff may call declare the usual `auth`.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    disputeAccess?: { staff: readonly Role[] };
  }
}

const MERCHANT_PEOPLE = ['supervisor', 'merchant_owner'] as const satisfies Role[];
const READERS = [...MERCHANT_PEOPLE, 'acquirer_reviewer', 'platform_admin'] as const satisfies Role[];
const PARTIES = [...MERCHANT_PEOPLE, 'acquirer_reviewer'] as const satisfies Role[];

const actorSchema = z.object({ kind: z.string(), id: z.string().nullable() });
const attachmentMeta = z.object({
  id: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  sha256: z.string(),
});

export const disputeSchema = z.object({
  id: z.string(),
  status: z.enum(disputeStatuses),
  outcome: z.enum(closeOutcomes).nullable(),
  merchantId: z.string(),
  paymentId: z.string(),
  refundId: z.string().nullable(),
  reason: z.enum(refundReasons),
  description: z.string(),
  customer: z.object({ email: z.string().nullable(), phone: z.string().nullable(), language: z.string() }),
  escalation: z.object({ at: z.string(), reason: z.string(), mediationDueAt: z.string() }).nullable(),
  ruling: z
    .object({
      outcome: z.enum(rulingOutcomes),
      ruling: z.string(),
      amount: z.number().int().nullable(),
      by: z.string(),
      at: z.string(),
      forcedRefundId: z.string().nullable(),
    })
    .nullable(),
  referredAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  rating: z.object({ score: z.number().int(), comment: z.string().nullable(), at: z.string() }).nullable(),
  escalationAllowedAt: z.string(),
  messages: z.array(
    z.object({
      id: z.string(),
      party: z.enum(['customer', 'merchant', 'acquirer']),
      author: actorSchema,
      body: z.string(),
      attachments: z.array(attachmentMeta),
      createdAt: z.string(),
    }),
  ),
  events: z.array(
    z.object({
      kind: z.string(),
      from: z.enum(disputeStatuses).nullable(),
      to: z.enum(disputeStatuses),
      actor: actorSchema,
      note: z.string().nullable(),
      at: z.string(),
    }),
  ),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const summarySchema = z.object({
  id: z.string(),
  status: z.enum(disputeStatuses),
  outcome: z.enum(closeOutcomes).nullable(),
  merchantId: z.string(),
  paymentId: z.string(),
  refundId: z.string().nullable(),
  reason: z.enum(refundReasons),
  mediationDueAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const caseFileSchema = z
  .object({
    format: z.string(),
    sha256: z.string().describe('SHA-256 (hex) of `content` in canonical JSON (keys sorted, no whitespace)'),
    canonicalization: z.string(),
    generatedAt: z.string(),
    content: z.record(z.string(), z.unknown()),
  })
  .describe('The case file: payment (BIN + last 4), refunds and timelines, messages, rulings, policy, audit events');

const language = z.enum(['zh-CN', 'en']).optional();
const customerSecret = {
  secret: secret
    .optional()
    .describe('The customer’s proof: the refund’s tracking secret, or the dispute’s access secret'),
  trackingSecret: secret.optional().describe('Same as `secret` (the name the refund pages use)'),
};
const disputeParams = z.object({ id: id('dp') });
/** Reads take the customer's secret in a header, which stays out of URLs, histories and logs. */
const secretHeader = z.object({
  'x-tracking-secret': secret
    .optional()
    .describe('The customer’s proof (as `secret`); preferred to `?secret=`, which puts it in URLs and their logs'),
});
const secretQuery = z.object({
  secret: secret.optional().describe('Deprecated: use the `X-Tracking-Secret` header (kept for older clients)'),
});
const formatQuery = z.enum(['json', 'pdf']).default('json');
const limited = { 429: errorResponses[403] };
const pdfNote = 'With `format=pdf`, `application/pdf` whose first page shows the SHA-256 of the JSON content.';

function bearer(req: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

/** A read's proof: the `X-Tracking-Secret` header, else `?secret=`. */
function readProof(req: FastifyRequest<{ Querystring: { secret?: string } }>): { secret?: string } {
  const header = req.headers['x-tracking-secret'];
  return { secret: (typeof header === 'string' ? header : undefined) ?? req.query.secret };
}

/** The caller as the service sees it: the signed-in person, or a customer with a secret. */
function callerOf(
  req: FastifyRequest,
  proof: { secret?: string; trackingSecret?: string } | undefined,
): disputes.DisputeCaller {
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
  // Routes with `disputeAccess`: a bearer token, when given, is held to the declared staff roles.
  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config.disputeAccess;
    if (!access) return;
    const token = bearer(req);
    if (!token) {
      if (req.headers.authorization) throw new AppError('unauthenticated');
      return;
    }
    const actor = await authenticate(ctx, token);
    if (!access.staff.includes(actor.role)) throw new AppError('forbidden', `a ${actor.role} may not do this`);
    if (actor.mustChangePassword) {
      throw new AppError('password_change_required', 'change your password first: PUT /api/v1/auth/password');
    }
    req.actor = actor;
  });

  app.post(
    '/api/v1/disputes',
    {
      schema: {
        tags: ['disputes'],
        summary: 'Open a dispute (协商): on a rejected, failed or overdue refund, or on a payment without one',
        description:
          'Either `refundId` + `trackingSecret` (the refund was rejected, failed, or is still pending past the merchant’s deadline), or `paymentReference` + `cardLast4` + `contact` (a payment the customer has no refund for; the answer carries an `accessSecret`, shown once). One dispute that is not closed per payment.',
        security: [],
        body: z
          .object({
            refundId: id('re').optional(),
            trackingSecret: secret.optional(),
            paymentReference: z
              .string()
              .regex(/^\d{12}$/, 'the 12-digit reference printed on the receipt')
              .optional(),
            cardLast4: z
              .string()
              .regex(/^\d{4}$/)
              .optional(),
            reason: z.enum(refundReasons).optional().describe('Payment disputes: what went wrong (default other)'),
            description: prose(4000),
            contact: contactFields.optional(),
            language,
          })
          .strict()
          .superRefine((b, c) => {
            const byRefund = b.refundId !== undefined;
            const byPayment = b.paymentReference !== undefined;
            if (byRefund === byPayment) {
              c.addIssue({
                code: 'custom',
                message: 'give refundId + trackingSecret, or paymentReference + cardLast4',
              });
              return;
            }
            if (byRefund && !b.trackingSecret) {
              c.addIssue({
                code: 'custom',
                path: ['trackingSecret'],
                message: 'the refund’s tracking secret is required',
              });
            }
            if (byPayment) {
              if (!b.cardLast4)
                c.addIssue({ code: 'custom', path: ['cardLast4'], message: 'required with paymentReference' });
              if (!b.contact?.email && !b.contact?.phone) {
                c.addIssue({
                  code: 'custom',
                  path: ['contact'],
                  ...coded('contact_required', 'give an e-mail or a phone number to be told of each step'),
                });
              }
            }
          }),
        response: {
          201: z.object({
            id: z.string(),
            status: z.enum(disputeStatuses),
            accessSecret: z
              .string()
              .nullable()
              .describe(
                'Payment disputes: the customer’s proof from now on, shown once. Refund disputes: null (the tracking secret serves)',
              ),
          }),
          ...errorResponses,
          ...limited,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const opened =
        b.refundId !== undefined
          ? await disputes.openRefundDispute(ctx, req.ip, {
              refundId: b.refundId,
              trackingSecret: b.trackingSecret as string,
              description: b.description,
              contact: b.contact,
              language: b.language,
            })
          : await disputes.openPaymentDispute(ctx, req.ip, {
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
        response: { 200: page(summarySchema), ...errorResponses },
      },
    },
    async (req) => disputes.listDisputes(ctx, req.actor, req.query),
  );

  app.get(
    '/api/v1/disputes/:id',
    {
      config: { disputeAccess: { staff: READERS } },
      schema: {
        tags: ['disputes'],
        summary:
          'A dispute with its thread and timeline (customer with the `X-Tracking-Secret` header, or merchant / acquirer)',
        params: disputeParams,
        headers: secretHeader,
        querystring: secretQuery,
        response: { 200: disputeSchema, ...errorResponses, ...limited },
      },
    },
    async (req, reply) => {
      const dispute = await disputes.getDispute(ctx, callerOf(req, readProof(req)), req.params.id);
      return reply.header('cache-control', 'no-store').send(dispute);
    },
  );

  app.post(
    '/api/v1/disputes/:id/messages',
    {
      config: { disputeAccess: { staff: PARTIES } },
      bodyLimit: MESSAGE_BODY_LIMIT_BYTES,
      schema: {
        tags: ['disputes'],
        summary:
          'Write in the thread (customer with the secret, merchant owner / supervisor; the acquirer once escalated)',
        description: `Up to ${MAX_ATTACHMENTS_PER_MESSAGE} attachments of at most 1 MiB each: ${ATTACHMENT_TYPES.join(', ')}; the bytes must match the type.`,
        params: disputeParams,
        body: z
          .object({
            body: prose(4000),
            ...customerSecret,
            attachments: z
              .array(
                z
                  .object({
                    filename: label(200),
                    contentType: line(100),
                    dataBase64: z
                      .string()
                      .min(1)
                      .max(MAX_ATTACHMENT_BASE64_CHARS + 4)
                      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 (RFC 4648, with padding)')
                      .describe('The file, base64 (RFC 4648, with padding)'),
                  })
                  .strict(),
              )
              .max(MAX_ATTACHMENTS_PER_MESSAGE)
              .optional(),
          })
          .strict(),
        response: { 201: disputeSchema, ...errorResponses, 413: errorResponses[400], ...limited },
      },
    },
    async (req, reply) => {
      const dispute = await disputes.postMessage(ctx, callerOf(req, req.body), req.params.id, req.body);
      return reply.code(201).send(dispute);
    },
  );

  app.get(
    '/api/v1/disputes/:id/attachments/:attachmentId',
    {
      config: { disputeAccess: { staff: READERS } },
      schema: {
        tags: ['disputes'],
        summary: 'Download an attachment of the thread',
        params: z.object({ id: id('dp'), attachmentId: id('dpa') }),
        headers: secretHeader,
        querystring: secretQuery,
        response: { 200: z.any().describe('The file, with its content type'), ...errorResponses, ...limited },
      },
    },
    async (req, reply) => {
      const a = await disputes.getAttachment(
        ctx,
        callerOf(req, readProof(req)),
        req.params.id,
        req.params.attachmentId,
      );
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
        params: disputeParams,
        body: z.object({ ...customerSecret, reason: prose(2000) }).strict(),
        response: { 200: disputeSchema, ...errorResponses, ...limited },
      },
    },
    async (req) => disputes.escalate(ctx, callerOf(req, req.body), req.params.id, req.body.reason),
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
        params: disputeParams,
        headers: idempotencyHeaders,
        body: z
          .object({
            outcome: z.enum(rulingOutcomes),
            ruling: prose(4000),
            amount: amount.optional(),
          })
          .strict(),
        response: { 200: z.object({ dispute: disputeSchema, refundId: z.string().nullable() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const idempotency = idempotencyOf(req);
      const { dispute, refund, replayed } = await disputes.decide(ctx, req.actor, req.params.id, req.body, idempotency);
      markReplay(reply, replayed);
      return { dispute, refundId: refund?.id ?? null };
    },
  );

  app.post(
    '/api/v1/disputes/:id/refer',
    {
      config: { disputeAccess: { staff: MERCHANT_PEOPLE } },
      schema: {
        tags: ['disputes'],
        summary: 'Refer a dispute ruled for the merchant to a third party: freezes the case file, makes a share link',
        params: disputeParams,
        body: z
          .object({ ...customerSecret, reason: prose(2000).optional() })
          .strict()
          .default({}),
        response: {
          201: z.object({
            dispute: disputeSchema,
            caseFile: z.object({ id: z.string(), sha256: z.string(), generatedAt: z.string() }),
            shareLink: z.object({
              token: z.string().describe('Shown once; give it to the third party'),
              url: z.string(),
              expiresAt: z.string(),
            }),
          }),
          ...errorResponses,
          ...limited,
        },
      },
    },
    async (req, reply) => {
      const referral = await disputes.refer(ctx, callerOf(req, req.body), req.params.id, req.body.reason);
      return reply.code(201).header('cache-control', 'no-store').send(referral);
    },
  );

  app.post(
    '/api/v1/disputes/:id/close',
    {
      config: { disputeAccess: { staff: PARTIES } },
      schema: {
        tags: ['disputes'],
        summary:
          'Close a dispute: settled, withdrawn, accepted (a ruling for the merchant), or concluded (after a referral)',
        params: disputeParams,
        body: z.object({ ...customerSecret, outcome: z.enum(closeOutcomes), note: prose(2000).optional() }).strict(),
        response: { 200: disputeSchema, ...errorResponses, ...limited },
      },
    },
    async (req) => disputes.closeDispute(ctx, callerOf(req, req.body), req.params.id, req.body),
  );

  app.post(
    '/api/v1/disputes/:id/rating',
    {
      schema: {
        tags: ['disputes'],
        summary: 'The customer rates how the dispute was resolved (1–5), once',
        security: [],
        params: disputeParams,
        body: z
          .object({
            ...customerSecret,
            score: z.number().int().min(1).max(5),
            comment: prose(2000).optional(),
          })
          .strict(),
        response: { 200: disputeSchema, ...errorResponses, ...limited },
      },
    },
    async (req) => disputes.rateResolution(ctx, callerOf(req, req.body), req.params.id, req.body),
  );

  app.get(
    '/api/v1/disputes/:id/case-file',
    {
      config: { auth: { roles: READERS } },
      schema: {
        tags: ['disputes'],
        summary: 'The case file as it stands, JSON or PDF (merchant owner / supervisor, acquirer), at any stage',
        description: pdfNote,
        params: disputeParams,
        querystring: z.object({ format: formatQuery }),
        response: { 200: caseFileSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendCaseFile(reply, await disputes.getCaseFile(ctx, req.actor, req.params.id), req.query.format, req.params.id),
  );

  app.get(
    '/api/v1/public/case-files/:token',
    {
      schema: {
        tags: ['disputes'],
        summary: 'The case file frozen at referral, for the third party holding the share link',
        description: `${pdfNote} The link expires (410 share_link_expired).`,
        security: [],
        params: z.object({ token: line(100, 10) }),
        querystring: z.object({ format: formatQuery }),
        response: { 200: caseFileSchema, ...errorResponses, 410: errorResponses[404], ...limited },
      },
    },
    async (req, reply) => {
      const file = await disputes.getSharedCaseFile(ctx, req.ip, req.params.token);
      return sendCaseFile(reply, file, req.query.format, file.content.dispute.id);
    },
  );
};
