import { z } from 'zod';
import { amount, errorResponses, id, secret } from '../http/schemas.js';
import { coded, contactFields, label, line, prose } from '../http/text.js';
import { refundReasons } from '../refunds/refund.js';
import { publicRefundSchema } from '../refunds/refund-tracking.schemas.js';
import { MAX_ATTACHMENT_BASE64_CHARS, MAX_ATTACHMENTS_PER_MESSAGE } from './attachment.js';
import { closeOutcomes, disputeStatuses, rulingOutcomes } from './dispute.js';

/** The dispute routes' request and response schemas (their OpenAPI document). */

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
  orderedRefund: publicRefundSchema
    .nullable()
    .describe(
      'The refund the ruling ordered, as the customer tracks it: status, steps and what comes next in plain words (in `lang`, default the customer’s language)',
    ),
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

export const summarySchema = disputeSchema
  .pick({
    id: true,
    status: true,
    outcome: true,
    merchantId: true,
    paymentId: true,
    refundId: true,
    reason: true,
    createdAt: true,
    updatedAt: true,
  })
  .extend({ mediationDueAt: z.string().nullable() });

export const caseFileSchema = z
  .object({
    format: z.string(),
    sha256: z.string().describe('SHA-256 (hex) of `content` in canonical JSON (keys sorted, no whitespace)'),
    canonicalization: z.string(),
    generatedAt: z.string(),
    content: z.record(z.string(), z.unknown()),
  })
  .describe('The case file: payment (BIN + last 4), refunds and timelines, messages, rulings, policy, audit events');

const language = z.enum(['zh-CN', 'en']).optional();
export const customerSecret = {
  secret: secret
    .optional()
    .describe('The customer’s proof: the refund’s tracking secret, or the dispute’s access secret'),
  trackingSecret: secret.optional().describe('Same as `secret` (the name the refund pages use)'),
};
export const disputeParams = z.object({ id: id('dp') });
export const formatQuery = z.enum(['json', 'pdf']).default('json');
export const limited = { 429: errorResponses[403] };
export const pdfNote = 'With `format=pdf`, `application/pdf` whose first page shows the SHA-256 of the JSON content.';

/** Opening: by a refund and its tracking secret, or by a payment's receipt reference and card. */
export const openBody = z
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
      if (!b.cardLast4) c.addIssue({ code: 'custom', path: ['cardLast4'], message: 'required with paymentReference' });
      if (!b.contact?.email && !b.contact?.phone) {
        c.addIssue({
          code: 'custom',
          path: ['contact'],
          ...coded('contact_required', 'give an e-mail or a phone number to be told of each step'),
        });
      }
    }
  });

export const openedSchema = z.object({
  id: z.string(),
  status: z.enum(disputeStatuses),
  accessSecret: z
    .string()
    .nullable()
    .describe(
      'Payment disputes: the customer’s proof from now on, shown once. Refund disputes: null (the tracking secret serves)',
    ),
  disputeUrl: z
    .string()
    .nullable()
    .describe(
      'Payment disputes: the customer’s page (PUBLIC_BASE_URL/refund/dispute/<id>?lang=…#<accessSecret>), the secret in the fragment, which browsers never send; the first e-mail / SMS carries the same link. Refund disputes: null (the refund’s tracking page shows the dispute)',
    ),
});

/** Reads take the customer's secret in a header, which stays out of URLs, histories and logs. */
export const secretHeader = z.object({
  'x-tracking-secret': secret
    .optional()
    .describe('The customer’s proof (as `secret`); preferred to `?secret=`, which puts it in URLs and their logs'),
});
export const secretQuery = z.object({
  secret: secret.optional().describe('Deprecated: use the `X-Tracking-Secret` header (kept for older clients)'),
});
export const disputeQuery = secretQuery.extend({
  lang: z
    .enum(['zh-CN', 'en'])
    .optional()
    .describe('The words of the ordered refund (default: the customer’s language)'),
});

export const messageBody = z
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
  .strict();

export const attachmentParams = z.object({ id: id('dp'), attachmentId: id('dpa') });

export const escalateBody = z.object({ ...customerSecret, reason: prose(2000) }).strict();

export const rulingBody = z
  .object({
    outcome: z.enum(rulingOutcomes),
    ruling: prose(4000),
    amount: amount.optional(),
  })
  .strict();

export const rulingSchema = z.object({ dispute: disputeSchema, refundId: z.string().nullable() });

export const referBody = z
  .object({ ...customerSecret, reason: prose(2000).optional() })
  .strict()
  .default({});

export const referralSchema = z.object({
  dispute: disputeSchema,
  caseFile: z.object({ id: z.string(), sha256: z.string(), generatedAt: z.string() }),
  shareLink: z.object({
    token: z.string().describe('Shown once; give it to the third party'),
    url: z.string(),
    expiresAt: z.string(),
  }),
});

export const closeBody = z
  .object({ ...customerSecret, outcome: z.enum(closeOutcomes), note: prose(2000).optional() })
  .strict();

export const ratingBody = z
  .object({
    ...customerSecret,
    score: z.number().int().min(1).max(5),
    comment: prose(2000).optional(),
  })
  .strict();

export const shareTokenParams = z.object({ token: line(100, 10) });
