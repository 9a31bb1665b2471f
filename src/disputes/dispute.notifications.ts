import { format } from '../money.js';
import { formatTime, type TemplateData } from '../notifications/notification.js';
import { registerTemplate } from '../notifications/notification.service.js';

/**
 * What the customer and the merchant are told at each step of a dispute (zh-CN and en). Plain text
 * short enough for an SMS. Secrets never appear, except the payment dispute's access secret in
 * the customer's first message, marked as a template secret (masked in everything stored).
 */
const id = (d: TemplateData) => String(d.disputeId);
const amount = (d: TemplateData) =>
  d.amount === null || d.amount === undefined ? '' : format({ amount: Number(d.amount), currency: String(d.currency) });

function both(name: string, zh: [string, (d: TemplateData) => string], en: [string, (d: TemplateData) => string]) {
  registerTemplate(name, {
    subject: { 'zh-CN': () => zh[0], en: () => en[0] },
    body: { 'zh-CN': zh[1], en: en[1] },
  });
}

/** A payment dispute's page with its access secret in the fragment (older messages: the code alone). */
const link = (d: TemplateData) =>
  d.disputeLink ? `${String(d.disputeLink)}${String(d.accessSecret)}` : String(d.accessSecret);

registerTemplate('dispute_opened_customer', {
  secrets: ['accessSecret'],
  subject: { 'zh-CN': () => '争议已受理', en: () => 'Your dispute was opened' },
  body: {
    'zh-CN': (d) =>
      `您的争议 ${id(d)} 已提交，商户将与您协商。` +
      (d.accessSecret
        ? `查看进度、与商户协商：${link(d)} （链接即访问凭证，请勿转发）`
        : '可凭退款查询码随时查看进度。'),
    en: (d) =>
      `Your dispute ${id(d)} was opened; the merchant will negotiate with you. ` +
      (d.accessSecret
        ? `Follow it, or talk to the merchant, here: ${link(d)} (this link is your proof: do not forward it)`
        : 'Follow it with your refund tracking code.'),
  },
});
both(
  'dispute_opened_merchant',
  ['收到顾客争议', (d) => `顾客就付款 ${String(d.paymentId)} 发起争议 ${id(d)}，请在商户后台回复协商。`],
  [
    'A customer opened a dispute',
    (d) => `A customer opened dispute ${id(d)} about payment ${String(d.paymentId)}. Reply in the merchant console.`,
  ],
);
both(
  'dispute_message',
  [
    '争议有新消息',
    (d) =>
      `争议 ${id(d)} 有来自${d.from === 'customer' ? '顾客' : d.from === 'merchant' ? '商户' : '支付机构'}的新消息。`,
  ],
  ['New message in your dispute', (d) => `There is a new message from the ${String(d.from)} in dispute ${id(d)}.`],
);
both(
  'dispute_escalated',
  ['争议已提交支付机构调解', (d) => `争议 ${id(d)} 已提交支付机构调解，预计 ${formatTime(d.dueAt)} 前作出裁决。`],
  [
    'Dispute escalated to the payment institution',
    (d) => `Dispute ${id(d)} is now with the payment institution, which will rule by ${formatTime(d.dueAt)}.`,
  ],
);
both(
  'dispute_mediation_overdue',
  ['争议调解已超期', (d) => `争议 ${id(d)} 的调解已超过期限（${formatTime(d.dueAt)}），我们已提醒支付机构尽快裁决。`],
  [
    'Dispute mediation is overdue',
    (d) => `The ruling on dispute ${id(d)} was due ${formatTime(d.dueAt)}; the payment institution has been reminded.`,
  ],
);
both(
  'dispute_resolved',
  [
    '争议已裁决',
    (d) =>
      d.outcome === 'resolved_for_customer'
        ? `支付机构就争议 ${id(d)} 作出有利于顾客的裁决，将退款 ${amount(d)}。理由：${String(d.ruling)}`
        : `支付机构就争议 ${id(d)} 作出有利于商户的裁决。理由：${String(d.ruling)}。如不服，可提交第三方（仲裁、律师）。`,
  ],
  [
    'Dispute ruled',
    (d) =>
      d.outcome === 'resolved_for_customer'
        ? `The payment institution ruled dispute ${id(d)} for the customer: ${amount(d)} will be refunded. Ruling: ${String(d.ruling)}`
        : `The payment institution ruled dispute ${id(d)} for the merchant. Ruling: ${String(d.ruling)}. You may refer it to a third party.`,
  ],
);
both(
  'dispute_referred',
  [
    '争议已提交第三方',
    (d) => `争议 ${id(d)} 已提交第三方处理，案卷（SHA-256 ${String(d.sha256).slice(0, 16)}…）已生成。`,
  ],
  [
    'Dispute referred to a third party',
    (d) =>
      `Dispute ${id(d)} was referred to a third party; its case file (SHA-256 ${String(d.sha256).slice(0, 16)}…) is ready.`,
  ],
);
both(
  'dispute_closed',
  ['争议已结案', (d) => `争议 ${id(d)} 已结案（${String(d.outcome)}）。欢迎为处理结果评分。`],
  ['Dispute closed', (d) => `Dispute ${id(d)} is closed (${String(d.outcome)}). You may rate how it was resolved.`],
);
