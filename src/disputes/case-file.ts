import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AuditEvent } from '../audit/audit.service.js';
import { canonicalJson } from '../crypto/canonical-json.js';
import { sha256Hex } from '../crypto/sha256.js';
import { format } from '../money.js';
import type { Payment } from '../payments/payment.js';
import type { Refund } from '../refunds/refund.js';
import type { RefundPolicy } from '../refunds/refund-policy.js';
import { type Dispute, type DisputeEvent, type DisputeMessage, maskEmail, maskPhone } from './dispute.js';

/**
 * The case file (MISSION.md part 2, 7): everything a third party (an arbitrator, a lawyer) needs to
 * judge a dispute, in one export. JSON is the record; the PDF is its printable rendering and
 * shows the SHA-256 of the JSON's canonical content, so a reader holding both can check that they
 * belong together and that nothing was changed. Pure: the service gathers the inputs.
 *
 * Canonical form (what the hash covers): `content` serialised as JSON with object keys sorted
 * (UTF-16 code unit order) at every depth, no whitespace, strings and numbers as JSON.stringify
 * writes them. Recompute with `sha256(canonicalJson(caseFile.content))`.
 */
export const CASE_FILE_FORMAT = 'refunddesk.case-file/1';

export interface CaseFileInputs {
  dispute: Dispute;
  merchant: { id: string; name: string };
  payment: Payment;
  refunds: Refund[];
  refundPolicy: RefundPolicy;
  auditEvents: AuditEvent[];
  /** Set when the file is frozen at referral. */
  referral: { at: string; by: { kind: string; id: string | null }; reason: string | null } | null;
}

export interface CaseFileContent {
  format: typeof CASE_FILE_FORMAT;
  dispute: {
    id: string;
    status: string;
    outcome: string | null;
    reason: string;
    description: string;
    openedAt: string;
    customer: { email: string | null; phone: string | null; language: string };
    escalation: Dispute['escalation'];
    referral: CaseFileInputs['referral'];
    closedAt: string | null;
    rating: Dispute['rating'];
    timeline: DisputeEvent[];
  };
  merchant: { id: string; name: string };
  payment: {
    id: string;
    reference: string;
    status: string;
    amount: number;
    currency: string;
    capturedAmount: number;
    voidedAmount: number;
    refundedAmount: number;
    pendingRefundAmount: number;
    refundableAmount: number;
    card: { bin: string; last4: string; brand: string };
    terminalId: string;
    createdAt: string;
  };
  refunds: Array<{
    id: string;
    status: string;
    amount: number;
    currency: string;
    reason: string;
    channel: string;
    description: string | null;
    decisionReason: string | null;
    failureReason: string | null;
    processorReference: string | null;
    disputeId: string | null;
    createdAt: string;
    timeline: Refund['timeline'];
  }>;
  messages: DisputeMessage[];
  rulings: Array<NonNullable<Dispute['ruling']> & { currency: string }>;
  refundPolicy: RefundPolicy;
  auditEvents: AuditEvent[];
}

export interface CaseFile {
  format: typeof CASE_FILE_FORMAT;
  /** SHA-256 (hex) of `canonicalJson(content)`. */
  sha256: string;
  canonicalization: string;
  generatedAt: string;
  content: CaseFileContent;
}

export const CANONICALIZATION =
  'sha256 over content serialised as JSON, object keys sorted at every depth, no whitespace';

export { canonicalJson };

/** Builds the content from what the service gathered. Card: BIN and last 4 only; contacts masked. */
export function assembleCaseFile(i: CaseFileInputs): CaseFileContent {
  const d = i.dispute;
  const p = i.payment;
  return {
    format: CASE_FILE_FORMAT,
    dispute: {
      id: d.id,
      status: d.status,
      outcome: d.outcome,
      reason: d.reason,
      description: d.description,
      openedAt: d.createdAt,
      customer: {
        email: maskEmail(d.customer.email),
        phone: maskPhone(d.customer.phone),
        language: d.customer.language,
      },
      escalation: d.escalation,
      referral: i.referral,
      closedAt: d.closedAt,
      rating: d.rating,
      timeline: d.events,
    },
    merchant: i.merchant,
    payment: {
      id: p.id,
      reference: p.reference,
      status: p.status,
      amount: p.amount,
      currency: p.currency,
      capturedAmount: p.capturedAmount,
      voidedAmount: p.voidedAmount,
      refundedAmount: p.refundedAmount,
      pendingRefundAmount: p.pendingRefundAmount,
      refundableAmount: p.refundableAmount,
      card: { bin: p.card.bin, last4: p.card.last4, brand: p.card.brand },
      terminalId: p.terminalId,
      createdAt: p.createdAt,
    },
    refunds: [...i.refunds]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((r) => ({
        id: r.id,
        status: r.status,
        amount: r.amount,
        currency: r.currency,
        reason: r.reason,
        channel: r.channel,
        description: r.description,
        decisionReason: r.decisionReason,
        failureReason: r.failureReason,
        processorReference: r.processorReference,
        disputeId: r.disputeId,
        createdAt: r.createdAt,
        timeline: r.timeline,
      })),
    messages: d.messages,
    rulings: d.ruling ? [{ ...d.ruling, currency: p.currency }] : [],
    refundPolicy: i.refundPolicy,
    auditEvents: [...i.auditEvents].sort((a, b) => (a.chain === b.chain ? a.seq - b.seq : a.chain < b.chain ? -1 : 1)),
  };
}

export function sealCaseFile(content: CaseFileContent, generatedAt: string): CaseFile {
  return {
    format: CASE_FILE_FORMAT,
    sha256: sha256Hex(canonicalJson(content)),
    canonicalization: CANONICALIZATION,
    generatedAt,
    content,
  };
}

// ---- PDF -------------------------------------------------------------------------------------

/**
 * Chinese text in the PDF: PDFKit's built-in fonts (Helvetica, Courier) only cover Latin-1, so
 * RefundDesk ships a CJK font as an npm dependency — Noto Sans SC Regular (SIL OFL 1.1), the TTF of
 * `@expo-google-fonts/noto-sans-sc` — and every machine that ran `npm install` prints Chinese as
 * written, with nothing from the operating system. CASE_FILE_FONT (a .ttf/.otf path, or
 * `collection.ttc#PostScriptName`) picks another font first. Only if no font can be opened at all
 * are the characters the built-in fonts cannot show printed as [?], and the PDF says so: the JSON,
 * whose hash it prints, has every field in full. Amounts, ids, dates and hashes are ASCII either way.
 */
export const SHIPPED_CJK_FONT = join(
  dirname(createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans-sc/package.json')),
  '400Regular',
  'NotoSansSC_400Regular.ttf',
);

export function findCjkFont(env: NodeJS.ProcessEnv = process.env): { path: string; family?: string } | undefined {
  const candidates = env.CASE_FILE_FONT ? [env.CASE_FILE_FONT, SHIPPED_CJK_FONT] : [SHIPPED_CJK_FONT];
  for (const c of candidates) {
    const [path, family] = c.split('#');
    if (path && existsSync(path)) return { path, family };
  }
  return undefined;
}

/** Characters Helvetica's WinAnsi encoding can show; runs of anything else become [?]. */
export function toLatin1Printable(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[→⇒]/g, '->')
    .replace(/[^\n\u0020-\u007e\u00a0-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]+/g, '[?]');
}

export interface PdfOptions {
  font?: { path: string; family?: string } | undefined;
}

const money = (amount: number | null, currency: string) =>
  amount === null ? '-' : `${format({ amount, currency })} (${amount} minor units)`;

/**
 * Renders the case file as a PDF (A4). The SHA-256 printed on the first page is the file's `sha256`.
 */
export async function renderCaseFilePdf(file: CaseFile, opts: PdfOptions = {}): Promise<Buffer> {
  // Loaded on first use (about 25 MiB resident, fonts included): most servers never print one.
  const { default: PDFDocument } = await import('pdfkit');
  const c = file.content;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: {
      Title: `RefundDesk case file ${c.dispute.id}`,
      Author: 'RefundDesk',
      Subject: `Dispute ${c.dispute.id}, content SHA-256 ${file.sha256}`,
      CreationDate: new Date(file.generatedAt),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (b: Buffer) => chunks.push(b));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.registerFont('body', 'Helvetica');
  doc.registerFont('bold', 'Helvetica-Bold');
  let unicode = false;
  if (opts.font) {
    try {
      // Opened now, not at first use, so a wrong path or family falls back instead of failing.
      const { path, family } = opts.font;
      if (family) doc.font(path, family);
      else doc.font(path);
      doc.registerFont('cjk', path, family);
      unicode = true;
    } catch {
      unicode = false;
    }
  }
  // The CJK font only for text that needs it: laying out every line with a large TrueType
  // collection costs about a second per file, Helvetica a few milliseconds.
  const fontFor = (s: string, base: 'body' | 'bold') => (unicode && s !== toLatin1Printable(s) ? 'cjk' : base);
  const t = (s: string | null | undefined) =>
    s === null || s === undefined ? '-' : unicode ? s : toLatin1Printable(s);

  const heading = (s: string) => {
    doc.moveDown(0.6).font(fontFor(s, 'bold')).fontSize(12).text(t(s)).moveDown(0.2);
  };
  const line = (label: string, value: string | null | undefined) => {
    const v = t(value);
    doc
      .font(fontFor(label, 'bold'))
      .fontSize(9)
      .text(`${t(label)}: `, { continued: true })
      .font(fontFor(v, 'body'))
      .text(v);
  };
  const para = (s: string | null | undefined, indent = 0) => {
    const v = t(s);
    doc.font(fontFor(v, 'body')).fontSize(9).text(v, { indent });
  };

  doc.font('bold').fontSize(16).text('RefundDesk case file');
  doc.font('body').fontSize(10).text(`Dispute ${c.dispute.id}`);
  doc.moveDown(0.5);
  doc.font('bold').fontSize(9).text('SHA-256 of the canonical JSON content:');
  doc.font('Courier').fontSize(9).text(file.sha256);
  doc.font('body').fontSize(8).text(`${file.canonicalization}. Format ${file.format}. Generated ${file.generatedAt}.`);
  if (!unicode) {
    doc.text(
      'Text in scripts this PDF cannot show (e.g. Chinese) is printed as [?]; every field is in full in the JSON case file with the hash above.',
    );
  }

  heading('Parties');
  line('Merchant', `${c.merchant.name} (${c.merchant.id})`);
  line(
    'Customer',
    `e-mail ${c.dispute.customer.email ?? '-'}, phone ${c.dispute.customer.phone ?? '-'} (masked), language ${c.dispute.customer.language}`,
  );

  heading('Dispute');
  line('Status', c.dispute.outcome ? `${c.dispute.status} (${c.dispute.outcome})` : c.dispute.status);
  line('Reason', c.dispute.reason);
  line('Opened', c.dispute.openedAt);
  line('Description', c.dispute.description);
  if (c.dispute.escalation) {
    line('Escalated', `${c.dispute.escalation.at}: ${c.dispute.escalation.reason}`);
    line('Mediation due', c.dispute.escalation.mediationDueAt);
  }
  if (c.dispute.referral) {
    line(
      'Referred',
      `${c.dispute.referral.at} by ${c.dispute.referral.by.kind}${c.dispute.referral.by.id ? ` ${c.dispute.referral.by.id}` : ''}: ${c.dispute.referral.reason ?? '-'}`,
    );
  }
  if (c.dispute.closedAt) line('Closed', c.dispute.closedAt);
  if (c.dispute.rating) line('Rating', `${c.dispute.rating.score}/5 ${c.dispute.rating.comment ?? ''}`);

  heading('Payment');
  const p = c.payment;
  line('Payment', `${p.id}, reference ${p.reference}, ${p.status}, ${p.createdAt}`);
  line('Card', `${p.card.brand} BIN ${p.card.bin}, last 4 ${p.card.last4}`);
  line('Amount', money(p.amount, p.currency));
  line('Captured', money(p.capturedAmount, p.currency));
  line('Voided', money(p.voidedAmount, p.currency));
  line('Refunded', money(p.refundedAmount, p.currency));
  line('Pending refunds', money(p.pendingRefundAmount, p.currency));
  line('Refundable', money(p.refundableAmount, p.currency));

  heading(`Refunds (${c.refunds.length})`);
  for (const r of c.refunds) {
    doc.moveDown(0.3);
    line(`Refund ${r.id}`, `${r.status}, ${money(r.amount, r.currency)}, reason ${r.reason}, ${r.channel}`);
    if (r.description) line('Customer wrote', r.description);
    if (r.decisionReason) line('Decision reason', r.decisionReason);
    if (r.failureReason) line('Failure', r.failureReason);
    if (r.processorReference) line('Processor reference', r.processorReference);
    for (const e of r.timeline) {
      para(
        `${e.at}  ${e.from ?? 'new'} -> ${e.to}  by ${e.actor.kind}${e.actor.id ? ` ${e.actor.id}` : ''}  ${e.note ?? ''}`,
        12,
      );
    }
  }

  heading('Rulings');
  if (c.rulings.length === 0) para('None.');
  for (const r of c.rulings) {
    line(r.outcome, `${r.at} by ${r.by}`);
    line('Ruling', r.ruling);
    line('Amount ordered', money(r.amount, r.currency));
    if (r.forcedRefundId) line('Refund ordered', r.forcedRefundId);
  }

  heading('Dispute timeline');
  for (const e of c.dispute.timeline) {
    para(
      `${e.at}  ${e.kind === 'transition' ? `${e.from ?? 'new'} -> ${e.to}` : `${e.kind} (${e.to})`}  by ${e.actor.kind}${e.actor.id ? ` ${e.actor.id}` : ''}  ${e.note ?? ''}`,
    );
  }

  heading(`Messages (${c.messages.length})`);
  for (const m of c.messages) {
    doc.moveDown(0.3);
    line(`${m.createdAt} ${m.party}`, `${m.author.kind}${m.author.id ? ` ${m.author.id}` : ''} (${m.id})`);
    para(m.body, 12);
    for (const a of m.attachments) {
      para(`Attachment ${a.filename}, ${a.contentType}, ${a.size} bytes`, 12);
      doc.font('Courier').fontSize(8).text(`SHA-256 ${a.sha256}`, { indent: 24 });
    }
  }

  heading('Refund policy in force');
  const rp = c.refundPolicy;
  line('Window', `${rp.windowDays} days`);
  line('Partial refunds', rp.partialAllowed ? 'allowed' : 'not allowed');
  line('Reasons accepted', rp.reasons.join(', '));
  line('Merchant approves automatically up to', money(rp.merchantAutoApproveUpTo, p.currency));
  line('Acquirer reviews by hand above', money(rp.acquirerManualReviewAbove, p.currency));
  line('Merchant review deadline', `${rp.merchantReviewHours} hours`);
  line('Policy updated', rp.updatedAt ?? 'platform defaults');

  heading(`Audit events (${c.auditEvents.length})`);
  for (const e of c.auditEvents) {
    para(
      `${e.chain} #${e.seq}  ${e.at}  ${e.action} ${e.outcome}  ${e.objectType ?? ''} ${e.objectId ?? ''}  by ${e.actor.kind}${e.actor.id ? ` ${e.actor.id}` : ''}  hash ${e.hash.slice(0, 16)}`,
    );
  }

  doc.end();
  return done;
}
