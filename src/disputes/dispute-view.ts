import type { Actor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { type Page, pageOf } from '../db/page.js';
import type { Conn } from '../db/transaction.js';
import type { DisputeTable } from '../disputes/dispute.tables.js';
import * as merchants from '../merchants/merchant.service.js';
import type { NotificationLanguage } from '../notifications/notification.js';
import type { Refund, RefundReason } from '../refunds/refund.js';
import * as refunds from '../refunds/refund.service.js';
import { customerLanguage, type Lang, publicView } from '../refunds/refund-tracking.js';
import * as errors from './dispute.errors.js';
import {
  type CloseOutcome,
  type Dispute,
  type DisputeActorKind,
  type DisputeEventKind,
  type DisputeStatus,
  disputeSettings,
  disputeStatuses,
  escalationAllowedAt,
  isOpen,
  linkedRefunds,
  type RulingOutcome,
} from './dispute.js';
import * as repo from './dispute.repository.js';
import { type DisputeCaller, reach } from './dispute-access.js';

/** Reading a dispute: the whole of it with its thread and timeline, one by id, or a page of them. */

/**
 * The dispute as its parties see it. `refundsOfPayment`, when the caller has them already, saves
 * reading them again. The ordered refund is worded in `lang`, by default the customer's language.
 */
export async function toDispute(
  conn: Conn,
  ctx: AppContext,
  row: DisputeTable,
  refundsOfPayment?: Refund[],
  lang?: Lang,
): Promise<Dispute> {
  const [events, messages, attachments] = await Promise.all([
    repo.listEventRows(conn, row.id),
    repo.listMessageRows(conn, row.id),
    repo.listAttachmentMeta(conn, row.id),
  ]);
  const all = refundsOfPayment ?? (await refunds.listRefundsOfPayment(conn, row.payment_id));
  const ordered = row.forced_refund_id ? all.find((r) => r.id === row.forced_refund_id) : undefined;
  const { mediationDueAt: _, ...shared } = summaryOf(row);
  return {
    ...shared,
    description: row.description,
    customer: {
      email: row.customer_email,
      phone: row.customer_phone,
      language: row.customer_language as NotificationLanguage,
    },
    escalation:
      row.escalated_at && row.mediation_due_at
        ? { at: row.escalated_at, reason: row.escalation_reason ?? '', mediationDueAt: row.mediation_due_at }
        : null,
    ruling:
      row.ruling_outcome && row.ruled_at
        ? {
            outcome: row.ruling_outcome as RulingOutcome,
            ruling: row.ruling ?? '',
            amount: row.ruling_amount,
            by: row.ruled_by ?? '',
            at: row.ruled_at,
            forcedRefundId: row.forced_refund_id,
          }
        : null,
    referredAt: row.referred_at,
    closedAt: row.closed_at,
    rating:
      row.rating !== null && row.rated_at ? { score: row.rating, comment: row.rating_comment, at: row.rated_at } : null,
    orderedRefund: ordered
      ? publicView(ordered, lang ?? customerLanguage(row.customer_language), { id: row.id, allowed: false })
      : null,
    escalationAllowedAt: escalationOpensAt(ctx, row, all),
    messages: messages.map((m) => ({
      id: m.id,
      party: m.author_party as 'customer' | 'merchant' | 'acquirer',
      author: { kind: m.author_kind as DisputeActorKind, id: m.author_id },
      body: m.body,
      attachments: attachments
        .filter((a) => a.message_id === m.id)
        .map((a) => ({ id: a.id, filename: a.filename, contentType: a.content_type, size: a.size, sha256: a.sha256 })),
      createdAt: m.created_at,
    })),
    events: events.map((e) => ({
      kind: e.kind as DisputeEventKind,
      from: e.from_status as DisputeStatus | null,
      to: e.to_status as DisputeStatus,
      actor: { kind: e.actor_kind as DisputeActorKind, id: e.actor_id },
      note: e.note,
      at: e.created_at,
    })),
  };
}

/** What a dispute's list entry shows: the fields it shares with the whole dispute, and its mediation deadline. */
function summaryOf(r: DisputeTable): DisputeSummary {
  return {
    id: r.id,
    status: r.status as DisputeStatus,
    outcome: r.outcome as CloseOutcome | null,
    merchantId: r.merchant_id,
    paymentId: r.payment_id,
    refundId: r.refund_id,
    reason: r.reason as RefundReason,
    mediationDueAt: r.mediation_due_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** When the customer may escalate: at once after the merchant rejected a linked refund. */
export function escalationOpensAt(
  ctx: Pick<AppContext, 'config'>,
  row: Pick<DisputeTable, 'id' | 'refund_id' | 'created_at'>,
  refundsOfPayment: Refund[],
): string {
  const dispute = { id: row.id, refundId: row.refund_id, createdAt: row.created_at };
  const merchantRejected = linkedRefunds(dispute, refundsOfPayment).some((r) => r.status === 'rejected_by_merchant');
  return escalationAllowedAt(dispute, merchantRejected, disputeSettings(ctx.config));
}

/** The dispute as it stands, for the answer of a use case that just changed it. @throws not_found */
export async function loadDispute(conn: Conn, ctx: AppContext, id: string): Promise<Dispute> {
  const row = await repo.findDisputeRow(conn, id);
  if (!row) throw errors.disputeNotFound();
  return toDispute(conn, ctx, row);
}

/** @throws unauthenticated, not_found, forbidden, rate_limited */
export async function getDispute(
  db: Db,
  ctx: AppContext,
  caller: DisputeCaller,
  id: string,
  lang?: Lang,
): Promise<Dispute> {
  const { row } = await reach(db, ctx, caller, id);
  return toDispute(db.kysely, ctx, row, undefined, lang);
}

export interface DisputeSummary {
  id: string;
  status: DisputeStatus;
  outcome: CloseOutcome | null;
  merchantId: string;
  paymentId: string;
  refundId: string | null;
  reason: RefundReason;
  mediationDueAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The disputes an actor may see, newest first: its merchant's, its acquirer's merchants', or all. */
export async function listDisputes(
  conn: Conn,
  actor: Actor,
  q: { limit: number; cursor?: string; status?: DisputeStatus },
): Promise<Page<DisputeSummary>> {
  const merchantIds = await merchants.visibleMerchantIds(conn, actor);
  const rows = await repo.listDisputeRows(conn, {
    merchantIds,
    status: q.status,
    before: q.cursor,
    limit: q.limit + 1,
  });
  return pageOf(rows, q.limit, summaryOf);
}

/** Open disputes by stage (state), every open state present (0 when none). */
export async function countOpenDisputes(conn: Conn): Promise<Record<string, number>> {
  const n = await repo.countOpenByStatus(conn);
  return Object.fromEntries(disputeStatuses.filter(isOpen).map((s) => [s, n.get(s) ?? 0]));
}
