import { format } from '../money.js';
import { expectedArrival, isReviewerEvent, type Refund, type RefundStatus } from './refund.js';

/**
 * The customer's view of a refund (查询退款进度): status, amount and every step in plain words,
 * what happens next and by when. Pure; never shows the card, reviewer names or internal notes.
 */
export type Lang = 'zh-CN' | 'en';

/** The language a customer chose, as stored on the refund (null for refunds made at a terminal). */
export function customerLanguage(stored: string | null | undefined): Lang {
  return stored === 'en' ? 'en' : 'zh-CN';
}

/**
 * The customer's tracking link: the page at `/refund/track/<id>`, in their language, with the
 * tracking secret in the fragment (`#…`), which browsers never send to a server: the page reads it
 * and sends it in the `X-Tracking-Secret` header.
 */
export function trackingLink(publicBaseUrl: string, id: string, secret: string, lang: Lang): string {
  return `${trackingPage(publicBaseUrl, id, lang)}#${encodeURIComponent(secret)}`;
}

/** The tracking page without the secret (later messages: the page asks for it, or the tab has it). */
export function trackingPage(publicBaseUrl: string, id: string, lang: Lang): string {
  return `${publicBaseUrl}/refund/track/${encodeURIComponent(id)}?lang=${lang}`;
}

const STEP: Record<RefundStatus, Record<Lang, string>> = {
  pending_merchant: {
    'zh-CN': '退款申请已提交，等待商户审核',
    en: 'Request received; waiting for the merchant’s review',
  },
  pending_acquirer: { 'zh-CN': '已转支付机构审核', en: 'With the payment institution for review' },
  processing: { 'zh-CN': '审核通过，正在退款', en: 'Approved; the refund is being sent' },
  succeeded: { 'zh-CN': '退款成功', en: 'Refund succeeded' },
  failed: { 'zh-CN': '退款处理失败，等待重新处理', en: 'The refund failed; it will be retried' },
  rejected_by_merchant: { 'zh-CN': '商户未同意退款', en: 'The merchant declined the refund' },
  rejected_by_acquirer: { 'zh-CN': '支付机构未同意退款', en: 'The payment institution declined the refund' },
  canceled: { 'zh-CN': '退款已取消', en: 'The refund was canceled' },
};

const WITH_REVIEWER: Record<Lang, string> = {
  'zh-CN': '支付机构人工审核中',
  en: 'A reviewer at the payment institution is checking it',
};

const FAILED_FINAL: { step: Record<Lang, string>; next: Record<Lang, string> } = {
  step: { 'zh-CN': '退款未能完成，款项未退出', en: 'The refund could not be made; no money was sent' },
  next: {
    'zh-CN': '您可重新申请退款，或发起协商。',
    en: 'You may ask for the refund again, or open a dispute.',
  },
};

const NEXT: Record<RefundStatus, Record<Lang, string>> = {
  pending_merchant: {
    'zh-CN': '商户将在期限内审核；逾期未审核将自动转交支付机构。',
    en: 'The merchant reviews it by the deadline; if not, it goes to the payment institution.',
  },
  pending_acquirer: {
    'zh-CN': '支付机构审核后将发起退款。',
    en: 'Once the payment institution approves, the money is sent.',
  },
  processing: { 'zh-CN': '退款到账需要一定时间，请耐心等待。', en: 'Refunds take a few days to reach your card.' },
  succeeded: { 'zh-CN': '款项将按发卡行时间到账。', en: 'The money reaches your card on your bank’s schedule.' },
  failed: {
    'zh-CN': '商户或支付机构将重新处理，您也可以发起协商。',
    en: 'The merchant or institution will retry; you may open a dispute.',
  },
  rejected_by_merchant: { 'zh-CN': '如有异议，可发起协商或投诉。', en: 'If you disagree, you may open a dispute.' },
  rejected_by_acquirer: { 'zh-CN': '如有异议，可发起协商或投诉。', en: 'If you disagree, you may open a dispute.' },
  canceled: { 'zh-CN': '无需进一步操作。', en: 'Nothing more to do.' },
};

export interface PublicRefundView {
  id: string;
  status: RefundStatus;
  statusText: string;
  amount: number;
  currency: string;
  amountText: string;
  reason: string;
  decisionReason: string | null;
  processorReference: string | null;
  timeline: Array<{ at: string; status: RefundStatus; text: string }>;
  next: { text: string; by: string | null };
  /** The dispute (协商) the customer opened on this refund, if any. */
  disputeId: string | null;
  /** Whether the customer may open a dispute on it now (declined, failed, or left past its deadline). */
  disputeAllowed: boolean;
  createdAt: string;
}

export function publicView(
  r: Refund,
  lang: Lang,
  dispute: { id: string | null; allowed: boolean } = { id: null, allowed: false },
): PublicRefundView {
  const rejected = r.status === 'rejected_by_merchant' || r.status === 'rejected_by_acquirer';
  return {
    id: r.id,
    status: r.status,
    statusText: r.status === 'failed' && r.failureFinal ? FAILED_FINAL.step[lang] : STEP[r.status][lang],
    amount: r.amount,
    currency: r.currency,
    amountText: format({ amount: r.amount, currency: r.currency }),
    reason: r.reason,
    decisionReason: rejected ? r.decisionReason : null,
    processorReference: r.status === 'succeeded' ? r.processorReference : null,
    timeline: r.timeline.map((e) => ({
      at: e.at,
      status: e.to,
      text: isReviewerEvent(e)
        ? WITH_REVIEWER[lang]
        : e.from === 'failed' && e.to === 'failed'
          ? FAILED_FINAL.step[lang]
          : STEP[e.to][lang],
    })),
    next: {
      text: r.status === 'failed' && r.failureFinal ? FAILED_FINAL.next[lang] : NEXT[r.status][lang],
      by: nextBy(r),
    },
    disputeId: dispute.id,
    disputeAllowed: dispute.id === null && dispute.allowed,
    createdAt: r.createdAt,
  };
}

/** By when the next step is due: the merchant's deadline, or the money's expected arrival. */
function nextBy(r: Refund): string | null {
  if (r.status === 'pending_merchant') return r.merchantDeadlineAt;
  const succeeded = r.status === 'succeeded' ? r.timeline.findLast((e) => e.to === 'succeeded') : undefined;
  return succeeded ? expectedArrival(new Date(succeeded.at)) : null;
}
