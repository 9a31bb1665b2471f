import { api, ok } from '../api/client';
import type { paths } from '../api/schema';
import { idempotencyKey } from '../format';
import type { Language } from '../i18n';

type RequestBody = NonNullable<
  paths['/api/v1/public/refund-requests']['post']['requestBody']
>['content']['application/json'];
export type RefundReason = RequestBody['reason'];

/** Every reason the API takes, in the order the form offers them (a reason missing here does not compile). */
const REASON_ORDER = {
  goods_returned: 0,
  wrong_amount: 1,
  service_complaint: 2,
  payment_failure: 3,
  duplicate: 4,
  other: 5,
} satisfies Record<RefundReason, number>;
export const REASONS = Object.keys(REASON_ORDER) as RefundReason[];

export const requestRefund = (body: RequestBody) =>
  ok(api.POST('/api/v1/public/refund-requests', { params: { header: { 'idempotency-key': idempotencyKey() } }, body }));

/** The secret goes in a header: never in the query string, where URLs and their logs would keep it. */
export const trackRefund = (id: string, secret: string, lang: Language) =>
  ok(
    api.GET('/api/v1/public/refunds/{id}', {
      params: { path: { id }, query: { lang }, header: { 'x-tracking-secret': secret } },
    }),
  );

export type TrackedRefund = Awaited<ReturnType<typeof trackRefund>>;

// ── the customer's dispute (协商): the tracking secret is the proof, in a header or the body ──

/** Opens a dispute on a refund the merchant declined, that failed, or that is overdue. */
export const openDispute = (refundId: string, secret: string, description: string, language: Language) =>
  ok(api.POST('/api/v1/disputes', { body: { refundId, trackingSecret: secret, description, language } }));

type PaymentDisputeBody = Omit<
  NonNullable<paths['/api/v1/disputes']['post']['requestBody']>['content']['application/json'],
  'refundId' | 'trackingSecret'
>;

/** Opens a dispute on a payment the customer has no refund for, proven by the receipt's reference and card. */
export const openPaymentDispute = (body: PaymentDisputeBody) => ok(api.POST('/api/v1/disputes', { body }));

/** The dispute; the refund its ruling ordered worded in `lang`. */
export const getDispute = (id: string, secret: string, lang: Language) =>
  ok(
    api.GET('/api/v1/disputes/{id}', {
      params: { path: { id }, query: { lang }, header: { 'x-tracking-secret': secret } },
    }),
  );

export type CustomerDispute = Awaited<ReturnType<typeof getDispute>>;

type MessageBody = NonNullable<
  paths['/api/v1/disputes/{id}/messages']['post']['requestBody']
>['content']['application/json'];
export type NewAttachment = NonNullable<MessageBody['attachments']>[number];

export const writeMessage = (id: string, secret: string, body: string, attachments: NewAttachment[] = []) =>
  ok(
    api.POST('/api/v1/disputes/{id}/messages', {
      params: { path: { id } },
      body: { body, trackingSecret: secret, ...(attachments.length ? { attachments } : {}) },
    }),
  );

/** An attachment's bytes: the secret in a header, so the file is fetched rather than linked. */
export const downloadAttachment = (id: string, attachmentId: string, secret: string) =>
  ok(
    api.GET('/api/v1/disputes/{id}/attachments/{attachmentId}', {
      params: { path: { id, attachmentId }, header: { 'x-tracking-secret': secret } },
      parseAs: 'blob',
    }),
  ) as Promise<Blob>;

export const escalateDispute = (id: string, secret: string, reason: string) =>
  ok(
    api.POST('/api/v1/disputes/{id}/escalate', { params: { path: { id } }, body: { reason, trackingSecret: secret } }),
  );

/** The customer accepts a ruling for the merchant, or closes once the ordered refund arrived. */
export const closeDispute = (id: string, secret: string, outcome: 'accepted' | 'settled' | 'withdrawn') =>
  ok(api.POST('/api/v1/disputes/{id}/close', { params: { path: { id } }, body: { outcome, trackingSecret: secret } }));

export const rateDispute = (id: string, secret: string, score: number, comment: string) =>
  ok(
    api.POST('/api/v1/disputes/{id}/rating', {
      params: { path: { id } },
      body: { score, trackingSecret: secret, ...(comment ? { comment } : {}) },
    }),
  );
