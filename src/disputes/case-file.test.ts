import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pdfText } from '../../test/support/pdf.js';
import type { Payment } from '../payments/payment.js';
import type { Refund } from '../refunds/refund.js';
import { defaultRefundPolicy } from '../refunds/refund-policy.js';
import {
  assembleCaseFile,
  type CaseFileInputs,
  canonicalJson,
  findCjkFont,
  renderCaseFilePdf,
  SHIPPED_CJK_FONT,
  sealCaseFile,
  toLatin1Printable,
} from './case-file.js';
import type { Dispute } from './dispute.js';

const at = '2026-03-02T08:00:00.000Z';
const payment: Payment = {
  id: 'pay_1',
  status: 'approved',
  amount: 12_345,
  currency: 'CNY',
  reference: '123456789012',
  card: { bin: '411111', last4: '1111', brand: 'visa' },
  terminalId: 'trm_1',
  merchantId: 'mer_1',
  batchId: 'bat_1',
  operatorId: null,
  authCode: '123456',
  declineCode: null,
  failureReason: null,
  capturedAmount: 12_345,
  voidedAmount: 0,
  refundedAmount: 0,
  pendingRefundAmount: 0,
  refundableAmount: 12_345,
  voidedAt: null,
  createdAt: at,
} as Payment;
const refund = {
  id: 're_1',
  status: 'rejected_by_merchant',
  paymentId: 'pay_1',
  merchantId: 'mer_1',
  amount: 6_789,
  currency: 'CNY',
  reason: 'goods_returned',
  channel: 'customer',
  note: null,
  failureReason: null,
  processorReference: null,
  description: '尺码不合适',
  customer: { email: 'li.lei@example.cn', phone: null },
  merchantDeadlineAt: at,
  acquirerReview: null,
  decisionReason: 'worn',
  disputeId: null,
  timeline: [{ from: null, to: 'pending_merchant', actor: { kind: 'customer', id: null }, note: 'asked', at }],
  createdAt: at,
  updatedAt: at,
} as Refund;
const dispute: Dispute = {
  id: 'dp_1',
  status: 'resolved_for_merchant',
  outcome: null,
  merchantId: 'mer_1',
  paymentId: 'pay_1',
  refundId: 're_1',
  reason: 'goods_returned',
  description: '商品有质量问题 (quality problem)',
  customer: { email: 'li.lei@example.cn', phone: '13800138000', language: 'zh-CN' },
  escalation: { at, reason: 'no answer', mediationDueAt: at },
  ruling: {
    outcome: 'resolved_for_merchant',
    ruling: 'goods were worn',
    amount: null,
    by: 'usr_1',
    at,
    forcedRefundId: null,
  },
  referredAt: null,
  closedAt: null,
  rating: null,
  orderedRefund: null,
  escalationAllowedAt: at,
  messages: [
    {
      id: 'dpm_1',
      party: 'customer',
      author: { kind: 'customer', id: null },
      body: 'photo attached',
      attachments: [
        { id: 'dpa_1', filename: 'photo.png', contentType: 'image/png', size: 70, sha256: 'ab'.repeat(32) },
      ],
      createdAt: at,
    },
  ],
  events: [
    { kind: 'transition', from: null, to: 'negotiating', actor: { kind: 'customer', id: null }, note: null, at },
  ],
  createdAt: at,
  updatedAt: at,
};
const inputs: CaseFileInputs = {
  dispute,
  merchant: { id: 'mer_1', name: 'Demo Store / 演示商户' },
  payment,
  refunds: [refund],
  refundPolicy: defaultRefundPolicy('mer_1'),
  auditEvents: [],
  referral: { at, by: { kind: 'customer', id: null }, reason: 'arbitration' },
};

describe('the case file', () => {
  it('hashes its canonical content: keys sorted at every depth, whatever order they were built in', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"e":0,"f":1}]},"b":1}',
    );
    const file = sealCaseFile(assembleCaseFile(inputs), at);
    const reordered = JSON.parse(JSON.stringify(file.content, Object.keys(file.content).reverse()));
    expect(createHash('sha256').update(canonicalJson(file.content)).digest('hex')).toBe(file.sha256);
    expect(sealCaseFile({ ...reordered, ...file.content }, at).sha256).toBe(file.sha256);
  });

  it('keeps only BIN and last 4 of the card and masks the customer’s contact', () => {
    const c = assembleCaseFile(inputs);
    expect(c.payment.card).toEqual({ bin: '411111', last4: '1111', brand: 'visa' });
    expect(c.dispute.customer).toEqual({ email: 'l***@example.cn', phone: '138****8000', language: 'zh-CN' });
    expect(JSON.stringify(c)).not.toContain('li.lei@');
    expect(c.messages[0].attachments[0]).toMatchObject({ filename: 'photo.png', size: 70, sha256: 'ab'.repeat(32) });
  });

  it('renders a PDF that opens, shows the hash and the amounts, and marks text it cannot print', async () => {
    const file = sealCaseFile(assembleCaseFile(inputs), at);
    const pdf = await renderCaseFilePdf(file);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(pdf);
    expect(text).toContain(file.sha256);
    expect(text).toContain('123.45 CNY (12345 minor units)');
    expect(text).toContain('67.89 CNY (6789 minor units)');
    expect(text).toContain('BIN 411111, last 4 1111');
    expect(text).toContain('[?] (quality problem)');
    expect(text).toMatch(/printed\s+as\s+\[\?\]/);
  });

  it('falls back to the built-in fonts when the configured font cannot be opened', async () => {
    const file = sealCaseFile(assembleCaseFile(inputs), at);
    const pdf = await renderCaseFilePdf(file, { font: { path: '/nonexistent/font.ttf' } });
    expect(await pdfText(pdf)).toContain('[?] (quality problem)');
  });

  // Nothing from the operating system: the font comes with `npm install`, so this never skips.
  it('prints Chinese as written with the font the package ships, on any machine', async () => {
    const font = findCjkFont({});
    expect(font?.path).toBe(SHIPPED_CJK_FONT);
    expect(SHIPPED_CJK_FONT).toMatch(/node_modules\/@expo-google-fonts\/noto-sans-sc\/.+\.ttf$/);
    const file = sealCaseFile(assembleCaseFile(inputs), at);
    const text = await pdfText(await renderCaseFilePdf(file, { font }));
    expect(text).toContain('商品有质量问题');
    expect(text).toContain(file.sha256);
    expect(text).toContain('123.45 CNY (12345 minor units)');
    expect(text).not.toContain('[?]');
    expect(text).not.toMatch(/printed\s+as\s+\[\?\]/);
  });

  it('prints Latin-1 as is and replaces each run of other scripts once', () => {
    expect(toLatin1Printable('Café – 退款 ok → done')).toBe('Café – [?] ok -> done');
  });
});
