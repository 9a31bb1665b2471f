import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { idempotencyOf, markReplay } from '../http/idempotency.js';
import { amount, errorResponses, idempotencyHeaders, idParam, problemSchema, secret } from '../http/schemas.js';
import { contact, contactQuery, digits, prose } from '../http/text.js';
import * as customers from './customer-request.service.js';
import { refundReasons, refundStatuses } from './refund.js';
import type { Lang } from './refund-tracking.js';
import { publicRefundSchema } from './refund-tracking.schemas.js';

const lang = z.enum(['zh-CN', 'en']).optional();
const limited = { 429: errorResponses[403] };

/** The language of `Accept-Language` (zh-CN unless it prefers English). */
function headerLanguage(header: string | undefined): Lang {
  return header?.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

/** The customer's routes: no account, proof by receipt data, tracking secret or contact. */
export const customerRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/public/refund-requests',
    {
      config: { admission: true },
      schema: {
        tags: ['customer'],
        summary: 'Ask for a refund (申请退款) with the receipt reference and the card’s last 4 digits',
        security: [],
        headers: idempotencyHeaders,
        body: z
          .object({
            paymentReference: digits(12, 'the 12-digit reference printed on the receipt'),
            cardLast4: digits(4),
            amount,
            reason: z.enum(refundReasons),
            description: prose(2000),
            contact,
            language: lang.describe(
              'The language of the messages and the tracking page (default: the one `Accept-Language` prefers)',
            ),
          })
          .strict(),
        response: {
          201: z.object({
            id: z.string(),
            trackingSecret: z.string(),
            trackingUrl: z
              .string()
              .describe(
                'The tracking page (PUBLIC_BASE_URL/refund/track/<id>?lang=…#<secret>): the secret is in the fragment, which browsers never send; the e-mail / SMS carry the same link',
              ),
            status: z.enum(refundStatuses),
          }),
          ...errorResponses,
          ...limited,
          503: problemSchema,
        },
      },
    },
    async (req, reply) => {
      const idempotency = idempotencyOf(req, { scope: `public:${req.body.paymentReference}` });
      const body = { ...req.body, language: req.body.language ?? headerLanguage(req.headers['accept-language']) };
      const { value: created, replayed } = await customers.requestRefund(app.db, ctx, req.ip, body, idempotency);
      markReplay(reply, replayed);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/v1/public/refunds/:id',
    {
      schema: {
        tags: ['customer'],
        summary: 'Track a refund (查询退款进度) with its tracking secret, or the e-mail / phone given',
        security: [],
        params: idParam('re'),
        headers: z.object({
          'x-tracking-secret': z
            .string()
            .max(128)
            .optional()
            .describe('The tracking secret; preferred to `secret`, as a header stays out of URLs and their logs'),
        }),
        querystring: z.object({
          secret: secret.optional(),
          contact: contactQuery.optional(),
          lang: lang.describe('Default: the language the customer chose in the request'),
        }),
        response: { 200: publicRefundSchema, ...errorResponses, ...limited },
      },
    },
    async (req) => {
      const secret = req.headers['x-tracking-secret'] ?? req.query.secret;
      const { contact } = req.query;
      const proof = secret ? { secret } : { contact: contact ?? '' };
      return customers.trackRefund(app.db, ctx, req.ip, req.params.id, proof, req.query.lang);
    },
  );

  app.post(
    '/api/v1/public/refunds/:id/cancel',
    {
      schema: {
        tags: ['customer'],
        summary: 'Withdraw a request the merchant has not answered yet',
        security: [],
        params: idParam('re'),
        body: z.object({ secret, lang }),
        response: { 200: publicRefundSchema, ...errorResponses, ...limited },
      },
    },
    async (req) => customers.cancelByCustomer(app.db, ctx, req.ip, req.params.id, req.body.secret, req.body.lang),
  );
};
