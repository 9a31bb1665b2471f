import type { Config } from '../config.js';
import type { NotificationLanguage } from '../notifications/notification.js';
import type { Refund, RefundReason } from '../refunds/refund.js';
import type { PublicRefundView } from '../refunds/refund-tracking.js';

/**
 * Dispute states and the transition table (DESIGN.md, "Dispute states"; MISSION.md part 2, 7).
 * Pure: no I/O.
 *
 *   negotiating ─► escalated ─► resolved_for_customer ─────────────► closed
 *        │                   └► resolved_for_merchant ─► referred ─► closed
 *        └──────────────────────────────────┴───────────────────────► closed
 *
 * The issue lists the arrows negotiating → escalated → resolved_* → referred → closed and
 * negotiating → closed. Two more arrows to `closed` are ours, so that no dispute is stuck in a
 * resolved state for ever: `resolved_for_customer → closed` once the refund the ruling ordered has
 * succeeded (outcome `settled`), and `resolved_for_merchant → closed` when the customer accepts
 * the ruling instead of referring it (outcome `accepted`).
 */
export const disputeStatuses = [
  'negotiating',
  'escalated',
  'resolved_for_customer',
  'resolved_for_merchant',
  'referred',
  'closed',
] as const;
export type DisputeStatus = (typeof disputeStatuses)[number];

export const disputeTransitions = {
  negotiating: ['escalated', 'closed'],
  escalated: ['resolved_for_customer', 'resolved_for_merchant'],
  resolved_for_customer: ['closed'],
  resolved_for_merchant: ['referred', 'closed'],
  referred: ['closed'],
  closed: [],
} as const satisfies Record<DisputeStatus, readonly DisputeStatus[]>;

export function canTransition(from: DisputeStatus, to: DisputeStatus): boolean {
  return (disputeTransitions[from] as readonly DisputeStatus[]).includes(to);
}

/** Every state but `closed` counts as open: one such dispute per payment. */
export function isOpen(status: DisputeStatus): boolean {
  return status !== 'closed';
}

export const rulingOutcomes = ['resolved_for_customer', 'resolved_for_merchant'] as const;
export type RulingOutcome = (typeof rulingOutcomes)[number];

/**
 * How a dispute ended:
 * - settled: a refund linked to it succeeded (from negotiating, or after a ruling for the customer);
 * - withdrawn: the customer gave up while negotiating;
 * - accepted: the customer accepted a ruling for the merchant rather than refer it;
 * - concluded: the third party the dispute was referred to decided (recorded by either side or
 *   the acquirer, with a note of what was decided).
 */
export const closeOutcomes = ['settled', 'withdrawn', 'accepted', 'concluded'] as const;
export type CloseOutcome = (typeof closeOutcomes)[number];

/** Who takes part in a dispute. `admin` (platform) may read, never act. */
export type Party = 'customer' | 'merchant' | 'acquirer' | 'admin';

/** Which party may close with which outcome, from which state. */
export const closeRules: Record<CloseOutcome, { from: readonly DisputeStatus[]; by: readonly Party[] }> = {
  settled: { from: ['negotiating', 'resolved_for_customer'], by: ['customer', 'merchant'] },
  withdrawn: { from: ['negotiating'], by: ['customer'] },
  accepted: { from: ['resolved_for_merchant'], by: ['customer'] },
  concluded: { from: ['referred'], by: ['customer', 'merchant', 'acquirer'] },
};

/** States in which the thread is open: before a ruling. The acquirer joins it once escalated. */
export function canPost(status: DisputeStatus, party: Party): boolean {
  if (party === 'admin') return false;
  if (status === 'negotiating') return party !== 'acquirer';
  return status === 'escalated';
}

export type DisputeEventKind = 'transition' | 'mediation_overdue' | 'rated' | 'refund_ordered' | 'refund_order_failed';
export type DisputeActorKind = 'customer' | 'operator' | 'user' | 'api_key' | 'system';

export interface DisputeActor {
  kind: DisputeActorKind;
  id: string | null;
  /** Where a person acted from (HTTP): for the audit event only. */
  ip?: string | null;
}

export interface DisputeEvent {
  kind: DisputeEventKind;
  from: DisputeStatus | null;
  to: DisputeStatus;
  actor: DisputeActor;
  note: string | null;
  at: string;
}

export interface DisputeAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface DisputeMessage {
  id: string;
  party: Exclude<Party, 'admin'>;
  author: DisputeActor;
  body: string;
  attachments: DisputeAttachment[];
  createdAt: string;
}

export interface Dispute {
  id: string;
  status: DisputeStatus;
  outcome: CloseOutcome | null;
  merchantId: string;
  paymentId: string;
  refundId: string | null;
  reason: RefundReason;
  description: string;
  customer: { email: string | null; phone: string | null; language: NotificationLanguage };
  escalation: { at: string; reason: string; mediationDueAt: string } | null;
  ruling: {
    outcome: RulingOutcome;
    ruling: string;
    amount: number | null;
    by: string;
    at: string;
    forcedRefundId: string | null;
  } | null;
  referredAt: string | null;
  closedAt: string | null;
  rating: { score: number; comment: string | null; at: string } | null;
  /**
   * The refund the ruling ordered, as the customer tracks it (status, steps and what comes next in
   * plain words): it has no tracking secret of its own, so the dispute is where the customer follows it.
   */
  orderedRefund: PublicRefundView | null;
  /** When the customer may escalate without the merchant having rejected the refund. */
  escalationAllowedAt: string;
  messages: DisputeMessage[];
  events: DisputeEvent[];
  createdAt: string;
  updatedAt: string;
}

/** Settings with their defaults; the environment may set them (see `disputeSettings`). */
export interface DisputeSettings {
  /** Days of negotiation after which the customer may escalate without a merchant rejection. */
  escalationDays: number;
  /** Days the acquirer has to rule once a dispute is escalated (tracked: overdue is recorded). */
  mediationDays: number;
  /** Days a case file share link stays valid. */
  shareLinkDays: number;
}

export const DEFAULT_DISPUTE_SETTINGS: DisputeSettings = { escalationDays: 7, mediationDays: 10, shareLinkDays: 30 };

/** The settings in force (`DISPUTE_ESCALATION_DAYS`, `DISPUTE_MEDIATION_DAYS`, `CASE_FILE_SHARE_DAYS`). */
export function disputeSettings(config: Config): DisputeSettings {
  return {
    escalationDays: config.disputeEscalationDays,
    mediationDays: config.disputeMediationDays,
    shareLinkDays: config.caseFileShareDays,
  };
}

const DAY_MS = 86_400_000;

export function addDays(iso: string, days: number): string {
  return new Date(new Date(iso).getTime() + days * DAY_MS).toISOString();
}

/**
 * Whether a customer may open a dispute on this refund now: it was rejected (by the merchant or
 * the acquirer), it failed, or it is still pending past the merchant's deadline.
 */
export function refundDisputable(
  refund: Pick<Refund, 'status' | 'merchantDeadlineAt'>,
  now: Date,
): { ok: true } | { ok: false; why: string } {
  switch (refund.status) {
    case 'rejected_by_merchant':
    case 'rejected_by_acquirer':
    case 'failed':
      return { ok: true };
    case 'pending_merchant':
    case 'pending_acquirer':
      if (refund.merchantDeadlineAt !== null && new Date(refund.merchantDeadlineAt).getTime() < now.getTime()) {
        return { ok: true };
      }
      return {
        ok: false,
        why: refund.merchantDeadlineAt
          ? `the refund is still within its review deadline (${refund.merchantDeadlineAt})`
          : 'the refund is still being reviewed',
      };
    default:
      return { ok: false, why: `a ${refund.status} refund cannot be disputed` };
  }
}

/**
 * When the customer may escalate: at once when the merchant rejected the refund, otherwise after
 * `escalationDays` of negotiation.
 */
export function escalationAllowedAt(
  dispute: { createdAt: string },
  merchantRejected: boolean,
  settings: DisputeSettings,
): string {
  return merchantRejected ? dispute.createdAt : addDays(dispute.createdAt, settings.escalationDays);
}

/**
 * Refunds that settle a dispute when they succeed: the disputed refund itself (a retried failure,
 * an overdue one finally approved), one ordered by the ruling, or any refund of the payment made
 * after the dispute was opened (the merchant's own settlement through the normal flow).
 */
export function linkedRefunds<R extends Pick<Refund, 'id' | 'disputeId' | 'createdAt'>>(
  dispute: { id: string; refundId: string | null; createdAt: string },
  refunds: readonly R[],
): R[] {
  return refunds.filter(
    (r) => r.id === dispute.refundId || r.disputeId === dispute.id || r.createdAt >= dispute.createdAt,
  );
}

/** Masks contact details for documents that leave the platform (the case file). */
export function maskEmail(email: string | null): string | null {
  if (!email) return null;
  const at = email.indexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '***';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/**
 * Invariant 4 for free text. The rule and its one implementation live in src/payments/card.ts; the
 * prose schemas already mask where input enters, and the service's own calls (a second line of
 * defence for callers other than HTTP) use the same function under this name.
 */
export { maskPans as redactPans } from '../payments/card.js';

/**
 * A SHA-256 as the audit log keeps it: hex in groups of 8 joined by ':'. A plain hex digest now and
 * then holds a run of 13+ digits that passes the Luhn check, which the audit log rightly refuses as
 * a possible card number; groups of 8 never do.
 */
export function auditSafeHash(hex: string): string {
  return hex.match(/.{1,8}/g)?.join(':') ?? hex;
}

/**
 * The customer's page of a payment dispute (`/refund/dispute/<id>`), in their language, with the
 * access secret in the fragment (`#…`), which browsers never send: the page reads it and sends it
 * in the `X-Tracking-Secret` header. Without a secret: the page, which then asks for it.
 */
export function disputePage(publicBaseUrl: string, id: string, lang: NotificationLanguage, secret = ''): string {
  const page = `${publicBaseUrl}/refund/dispute/${encodeURIComponent(id)}?lang=${lang}`;
  return secret ? `${page}#${encodeURIComponent(secret)}` : page;
}
