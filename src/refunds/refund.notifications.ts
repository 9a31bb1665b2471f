import { format } from '../money.js';
import type { TemplateData } from '../notifications/notification.js';
import { registerTemplate } from '../notifications/notification.service.js';
import type { RefundStatus } from './refund.js';

/**
 * What the customer and the merchant are told at each step of a refund (zh-CN and en). The
 * customer hears of every step the article names: received, approved, rejected (with the
 * merchant's reason), sent, succeeded (amount, trace number, expected arrival), failed, canceled.
 */
const amount = (d: TemplateData) => format({ amount: Number(d.amount), currency: String(d.currency) });
const id = (d: TemplateData) => String(d.refundId);

function both(name: string, zh: [string, (d: TemplateData) => string], en: [string, (d: TemplateData) => string]) {
  registerTemplate(name, {
    subject: { 'zh-CN': () => zh[0], en: () => en[0] },
    body: { 'zh-CN': zh[1], en: en[1] },
  });
}

both(
  'refund_requested',
  ['退款申请已受理', (d) => `您的退款申请 ${id(d)}（${amount(d)}）已提交，商户将尽快审核。可凭查询码随时查询进度。`],
  [
    'Refund request received',
    (d) =>
      `Your refund request ${id(d)} for ${amount(d)} was received. The merchant will review it; track it any time.`,
  ],
);
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

/** The customer's template for a step, or null for steps they are not told of separately. */
export function customerTemplateFor(to: RefundStatus, from: RefundStatus | null, failureFinal = false): string | null {
  if (from === null) return to === 'pending_merchant' ? 'refund_requested' : null;
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
