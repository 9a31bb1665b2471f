import type { AppContext } from '../context.js';
import type { Tx } from '../db/transaction.js';
import { format } from '../money.js';
import type { TemplateData } from '../notifications/notification.js';
import { queueNotification, registerTemplate } from '../notifications/notification.service.js';
import type { RefundTable } from '../refunds/refund.tables.js';
import type { RefundStatus } from './refund.js';
import { customerLanguage, trackingLink } from './refund-tracking.js';

/**
 * What the customer and the merchant are told at each step of a refund (zh-CN and en). The
 * customer hears of every step the article names: received, approved, rejected (with the
 * merchant's reason), sent, succeeded (amount, trace number, expected arrival), failed, canceled.
 */
const amount = (d: TemplateData) => format({ amount: Number(d.amount), currency: String(d.currency) });
const id = (d: TemplateData) => String(d.refundId);

/** The customer's messages end with the tracking page (its secret is in the first message only). */
const page = {
  'zh-CN': (d: TemplateData) => (d.page ? ` 查看进度：${String(d.page)}` : ''),
  en: (d: TemplateData) => (d.page ? ` Follow it: ${String(d.page)}` : ''),
};

function both(name: string, zh: [string, (d: TemplateData) => string], en: [string, (d: TemplateData) => string]) {
  registerTemplate(name, {
    subject: { 'zh-CN': () => zh[0], en: () => en[0] },
    body: { 'zh-CN': (d) => zh[1](d) + page['zh-CN'](d), en: (d) => en[1](d) + page.en(d) },
  });
}

/**
 * The answer to a customer's request carries the tracking link; its secret (in the link's fragment)
 * is a template secret: the stored and listed copy shows `#******`, only the message sent has it.
 */
const link = (d: TemplateData) => `${String(d.trackingLink)}${String(d.trackingSecret)}`;
registerTemplate('refund_requested', {
  secrets: ['trackingSecret'],
  subject: { 'zh-CN': () => '退款申请已受理', en: () => 'Refund request received' },
  body: {
    'zh-CN': (d) =>
      `您的退款申请 ${id(d)}（${amount(d)}）已提交，商户将尽快审核。查看进度、与商户协商：${link(d)} （链接即查询凭证，请勿转发）`,
    en: (d) =>
      `Your refund request ${id(d)} for ${amount(d)} was received. The merchant will review it. ` +
      `Follow it, or talk to the merchant, here: ${link(d)} (this link is your proof: do not forward it)`,
  },
});

/**
 * Tells the customer their request was received, with the tracking link (secret included), in the
 * language they chose, by e-mail and / or SMS, in the caller's transaction.
 */
export async function notifyRequestReceived(
  trx: Tx,
  ctx: AppContext,
  refund: Pick<
    RefundTable,
    'id' | 'merchant_id' | 'amount' | 'currency' | 'customer_email' | 'customer_phone' | 'customer_language'
  >,
  trackingSecret: string,
): Promise<void> {
  const language = customerLanguage(refund.customer_language);
  const full = trackingLink(ctx.config.publicBaseUrl, refund.id, trackingSecret, language);
  const data = {
    refundId: refund.id,
    amount: refund.amount,
    currency: refund.currency,
    trackingLink: full.slice(0, full.indexOf('#') + 1),
    trackingSecret: full.slice(full.indexOf('#') + 1),
  };
  for (const [channel, to] of [
    ['email', refund.customer_email],
    ['sms', refund.customer_phone],
  ] as const) {
    if (!to) continue;
    await queueNotification(trx, ctx, {
      merchantId: refund.merchant_id,
      channel,
      to,
      template: 'refund_requested',
      language,
      data,
      dedupeKey: `refund:${refund.id}:requested:${channel}`,
    });
  }
}

both(
  'refund_pending_acquirer',
  ['退款已转支付机构审核', (d) => `退款 ${id(d)}（${amount(d)}）已转交支付机构审核。`],
  [
    'Refund sent to the payment institution',
    (d) => `Refund ${id(d)} for ${amount(d)} is now with the payment institution for review.`,
  ],
);
both(
  'refund_processing',
  ['退款审核通过', (d) => `退款 ${id(d)}（${amount(d)}）已审核通过，正在退回您的卡。`],
  ['Refund approved', (d) => `Refund ${id(d)} for ${amount(d)} was approved and is being sent back to your card.`],
);
both(
  'refund_rejected',
  [
    '退款申请未通过',
    (d) => `很抱歉，退款 ${id(d)}（${amount(d)}）未通过审核。原因：${String(d.reason)}。如有异议可发起协商。`,
  ],
  [
    'Refund request declined',
    (d) => `Refund ${id(d)} for ${amount(d)} was declined. Reason: ${String(d.reason)}. You may open a dispute.`,
  ],
);
both(
  'refund_succeeded',
  [
    '退款成功',
    (d) =>
      `退款 ${id(d)} 成功，金额 ${amount(d)}。追踪号 ${String(d.trace)}，预计 ${String(d.arrival)} 前到账（以发卡行为准）。`,
  ],
  [
    'Refund succeeded',
    (d) =>
      `Refund ${id(d)} succeeded: ${amount(d)}. Trace number ${String(d.trace)}; expect it on your card by ${String(d.arrival)}.`,
  ],
);
both(
  'refund_failed',
  ['退款处理失败', (d) => `退款 ${id(d)}（${amount(d)}）处理失败（${String(d.reason)}），商户或支付机构将重新处理。`],
  [
    'Refund could not be completed',
    (d) =>
      `Refund ${id(d)} for ${amount(d)} failed (${String(d.reason)}). The merchant or the payment institution will retry.`,
  ],
);
both(
  'refund_failed_final',
  [
    '退款未能完成',
    (d) => `退款 ${id(d)}（${amount(d)}）未能完成（${String(d.reason)}），款项未退出。您可重新申请退款或发起协商。`,
  ],
  [
    'Refund could not be made',
    (d) =>
      `Refund ${id(d)} for ${amount(d)} could not be made (${String(d.reason)}); no money was sent. You may ask again or open a dispute.`,
  ],
);
both(
  'refund_canceled',
  ['退款已取消', (d) => `退款 ${id(d)}（${amount(d)}）已取消。`],
  ['Refund canceled', (d) => `Refund ${id(d)} for ${amount(d)} was canceled.`],
);
both(
  'refund_request_received',
  ['新的退款申请', (d) => `顾客提交了退款申请 ${id(d)}（${amount(d)}），请在期限内审核。`],
  [
    'New refund request',
    (d) => `A customer asked for refund ${id(d)} (${amount(d)}). Please review it before the deadline.`,
  ],
);
both(
  'refund_succeeded_merchant',
  ['退款已完成', (d) => `退款 ${id(d)}（${amount(d)}）已成功退回顾客。`],
  ['Refund completed', (d) => `Refund ${id(d)} (${amount(d)}) reached the customer.`],
);

/**
 * The customer's template for a step, or null for steps they are not told of separately. The
 * request itself is answered by `notifyRequestReceived`, which alone knows the tracking secret.
 */
export function customerTemplateFor(to: RefundStatus, from: RefundStatus | null, failureFinal = false): string | null {
  if (from === null) return null;
  switch (to) {
    case 'pending_acquirer':
      return 'refund_pending_acquirer';
    case 'processing':
      return 'refund_processing';
    case 'rejected_by_merchant':
    case 'rejected_by_acquirer':
      return 'refund_rejected';
    case 'succeeded':
      return 'refund_succeeded';
    case 'failed':
      return failureFinal ? 'refund_failed_final' : 'refund_failed';
    case 'canceled':
      return 'refund_canceled';
    default:
      return null;
  }
}
