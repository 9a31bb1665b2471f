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
