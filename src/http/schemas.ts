import { z } from 'zod';
import { isTimeZone } from '../payments/receipt.js';
import { refundReasons, refundStatuses } from '../refunds/refund.js';
import { line, secretText } from './text.js';

/** ISO 8583 field 4 is twelve digits: no POS amount is larger. */
export const MAX_AMOUNT = 999_999_999_999;

export const amount = z
  .number()
  .int('amount is an integer of minor units (fen, cents)')
  .positive('amount must be greater than 0')
  .max(MAX_AMOUNT, `amount must be at most ${MAX_AMOUNT}`)
  .describe('Integer minor units (fen, cents): 1000 = 10.00 CNY');

export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'currency is an ISO 4217 code such as CNY')
  .describe('ISO 4217');

export const id = (prefix: string) =>
  z
    .string()
    .min(3)
    .max(64)
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]+$`), `not a ${prefix}_ id`);

export const idParam = (prefix: string) => z.object({ id: id(prefix) });

export const secret = secretText(128);

/** The optional `Idempotency-Key` header of a money-moving POST, for the OpenAPI document. */
export const idempotencyHeaders = z.object({ 'idempotency-key': z.string().optional() });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: line(64).optional(),
});

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    requestId: z.string(),
  })
  .passthrough()
  .describe('RFC 9457 problem details; `code` is stable (see /docs/errors)');

export const cardSchema = z.object({
  bin: z.string(),
  last4: z.string(),
  brand: z.string(),
});

export const paymentSchema = z.object({
  id: z.string(),
  status: z.enum(['approved', 'declined', 'failed', 'voided']),
  amount: z.number().int(),
  currency: z.string(),
  reference: z.string().describe('12 digits, printed on the receipt'),
  card: cardSchema,
  terminalId: z.string(),
  merchantId: z.string(),
  batchId: z.string(),
  operatorId: z.string().nullable(),
  authCode: z.string().nullable(),
  declineCode: z.string().nullable(),
  failureReason: z.string().nullable(),
  capturedAmount: z.number().int(),
  voidedAmount: z.number().int(),
  refundedAmount: z.number().int(),
  pendingRefundAmount: z.number().int(),
  refundableAmount: z.number().int(),
  voidedAt: z.string().nullable(),
  flagged: z.boolean(),
  createdAt: z.string(),
});

export const refundSchema = z.object({
  id: z.string(),
  status: z.enum(refundStatuses),
  paymentId: z.string(),
  merchantId: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  reason: z.enum(refundReasons),
  channel: z.string(),
  note: z.string().nullable(),
  failureReason: z.string().nullable(),
  failureFinal: z.boolean().describe('a failed refund that may not be retried; its amount is released'),
  processorReference: z.string().nullable(),
  description: z.string().nullable(),
  customer: z.object({ email: z.string().nullable(), phone: z.string().nullable() }).nullable(),
  merchantDeadlineAt: z.string().nullable(),
  acquirerReview: z.enum(['manual', 'auto']).nullable(),
  decisionReason: z.string().nullable(),
  disputeId: z.string().nullable(),
  timeline: z.array(
    z.object({
      from: z.string().nullable(),
      to: z.string(),
      actor: z.object({ kind: z.string(), id: z.string().nullable() }),
      note: z.string().nullable(),
      at: z.string(),
    }),
  ),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const terminalSchema = z.object({
  id: z.string(),
  serial: z.string(),
  merchantId: z.string(),
  agentId: z.string(),
  acquirerId: z.string(),
  status: z.string(),
  createdAt: z.string(),
});

export const errorResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
  422: problemSchema,
} as const;

export const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/** `?tz=Asia/Shanghai`: the IANA time zone a slip prints its time in (UTC when absent). */
export const receiptQuery = z.object({
  tz: z
    .string()
    .max(64)
    .regex(/^[A-Za-z][A-Za-z0-9_+\-/]*$/)
    .refine(isTimeZone, 'an IANA time zone, e.g. Asia/Shanghai')
    .optional()
    .describe('IANA time zone for the slip’s date/time (UTC when absent)'),
});

export const receiptSchema = z.object({
  kind: z.enum(['sale', 'void', 'refund', 'settlement']),
  merchantCopy: z.array(z.string()),
  customerCopy: z.array(z.string()).describe('empty for a settlement slip, which prints once'),
});

/** An entry of a terminal's journal (流水): a sale, void or counter refund under its 凭证号. */
export const journalEntrySchema = z.object({
  kind: z.enum(['sale', 'void', 'refund']),
  terminalId: z.string(),
  batchNo: z.number().int(),
  voucherNo: z.number().int().describe('凭证号'),
  operatorCode: z.string().nullable(),
  paymentId: z.string(),
  refundId: z.string().nullable().describe('set for a refund (退货)'),
  amount: z.number().int(),
  currency: z.string(),
  createdAt: z.string(),
});

const countAmount = z.object({ count: z.number().int(), amount: z.number().int() });
export const batchTotalsSchema = z.object({
  batchId: z.string(),
  batchNo: z.number().int(),
  terminalId: z.string(),
  openedAt: z.string(),
  settledAt: z.string(),
  currency: z.string(),
  sales: countAmount,
  voids: countAmount,
  refunds: countAmount.describe('退货 made at the terminal in this batch'),
  declined: z.object({ count: z.number().int() }),
  failed: countAmount,
  net: z.number().int().describe('sales − voids − refunds'),
  operatorCode: z.string().nullable().describe('操作员号 who settled at the terminal; null from a console'),
});

/** 查询 → 汇总: the open batch so far (no batch open: the next number and zeros). */
export const openBatchSchema = batchTotalsSchema
  .omit({ settledAt: true, batchId: true, openedAt: true, operatorCode: true })
  .extend({
    batchId: z.string().nullable(),
    openedAt: z.string().nullable(),
  });

export const actorSchema = z.object({
  kind: z.enum(['operator', 'user', 'api_key']),
  id: z.string(),
  role: z.string(),
  merchantId: z.string().nullable(),
  terminalId: z.string().nullable(),
  acquirerId: z.string().nullable(),
  agentId: z.string().nullable(),
  scopes: z.array(z.string()),
});
