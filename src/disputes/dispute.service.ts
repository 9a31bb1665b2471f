import { type AuditEvent, listAuditEvents, recordAudit, recordAuditNow } from '../audit/audit.service.js';
import { type Actor, auditActorOf, canSeeMerchant, systemActor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { constantTimeEqual, randomToken, sha256Hex } from '../credentials/hashing.js';
import type { Db } from '../db/connect.js';
import type { DisputeTable } from '../db/schema.js';
import { isUniqueViolation, type Tx, transaction } from '../db/transaction.js';
import { AppError, notFound } from '../errors.js';
import { type IdempotencyRequest, idempotentTransaction } from '../idempotency/idempotency.service.js';
import { newId } from '../ids.js';
import { enqueueJob, type JobHandlers } from '../jobs/job.service.js';
import * as merchants from '../merchants/merchant.service.js';
import type { NotificationLanguage } from '../notifications/notification.js';
import { notifyMerchantOwner, queueNotification } from '../notifications/notification.service.js';
import * as payments from '../payments/payment.service.js';
import { hitRateLimit } from '../ratelimit/rate-limit.js';
import type { Refund, RefundReason } from '../refunds/refund.js';
import * as refunds from '../refunds/refund.service.js';
import type { AcquirerRules } from '../refunds/refund-review.service.js';
import { emitWebhookEvent } from '../webhooks/webhook.service.js';
import { type AttachmentInput, validateAttachments } from './attachment.js';
import { assembleCaseFile, type CaseFile, type CaseFileInputs, sealCaseFile } from './case-file.js';
import * as errors from './dispute.errors.js';
import {
  addDays,
  type CloseOutcome,
  canPost,
  canTransition,
  closeRules,
  type Dispute,
  type DisputeActor,
  type DisputeActorKind,
  type DisputeEventKind,
  type DisputeStatus,
  disputeSettings,
  escalationAllowedAt,
  linkedRefunds,
  type Party,
  type RulingOutcome,
  redactPans,
  refundDisputable,
} from './dispute.js';
import './dispute.notifications.js';
import * as repo from './dispute.repository.js';

/**
 * Until this folder takes its connections first like the others (issue 9 §4 splits this file):
 * the context plus the database, built by the routes and the job handlers from `app.db` / `db`.
 */
export type DisputeContext = AppContext & { readonly db: Db };

export const JOB_FORCE_REFUND = 'dispute.force_refund';
export const JOB_MEDIATION_DEADLINE = 'dispute.mediation_deadline';

const CUSTOMER: DisputeActor = { kind: 'customer', id: null };
const SYSTEM: DisputeActor = { kind: 'system', id: null };
const MINUTE = 60_000;

/**
 * Who calls: a customer (no account) proving themselves with the dispute's secret, or a signed-in
 * person whose role the route has already checked. For a refund dispute the secret is the refund's
 * tracking secret; for a payment dispute, the access secret returned when it was opened.
 */
export type DisputeCaller =
  | { kind: 'customer'; secret: string | undefined; ip: string }
  | { kind: 'staff'; actor: Actor };

interface Access {
  party: Party;
  actor: DisputeActor;
}

/**
 * A SHA-256 as the audit log keeps it: hex in groups of 8 joined by ':'. A plain hex digest now and
 * then holds a run of 13+ digits that passes the Luhn check, which the audit log rightly refuses as
 * a possible card number; groups of 8 never do.
 */
export function auditSafeHash(hex: string): string {
  return hex.match(/.{1,8}/g)?.join(':') ?? hex;
}

// ── reading ──────────────────────────────────────────────────────────────────

async function toDispute(ctx: DisputeContext, row: DisputeTable, refundsOfPayment?: Refund[]): Promise<Dispute> {
  const conn = ctx.db.kysely;
  const [events, messages, attachments] = await Promise.all([
    repo.listEventRows(conn, row.id),
    repo.listMessageRows(conn, row.id),
    repo.listAttachmentMeta(conn, row.id),
  ]);
  const all = refundsOfPayment ?? (await refunds.listRefundsOfPayment(ctx.db.kysely, row.payment_id));
  const createdAt = row.created_at;
  const merchantRejected = linkedRefunds({ id: row.id, refundId: row.refund_id, createdAt }, all).some(
    (r) => r.status === 'rejected_by_merchant',
  );
  return {
    id: row.id,
    status: row.status as DisputeStatus,
    outcome: row.outcome as CloseOutcome | null,
    merchantId: row.merchant_id,
    paymentId: row.payment_id,
    refundId: row.refund_id,
    reason: row.reason as RefundReason,
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
    escalationAllowedAt: escalationAllowedAt({ createdAt }, merchantRejected, disputeSettings(ctx.config)),
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
    createdAt,
    updatedAt: row.updated_at,
  };
}

/**
 * Finds the dispute and decides who the caller is to it. Unknown id, wrong secret and another
 * merchant's or acquirer's dispute all end in the same not_found.
 * @throws unauthenticated (no token and no secret), not_found, rate_limited
 */
async function reach(ctx: DisputeContext, caller: DisputeCaller, id: string): Promise<{ row: DisputeTable } & Access> {
  const row = await repo.findDisputeRow(ctx.db.kysely, id);
  if (caller.kind === 'customer') {
    if (!caller.secret) throw new AppError('unauthenticated', 'give the dispute’s secret, or sign in');
    await hitRateLimit(ctx.db, ctx, `dispute-access:ip:${caller.ip}`, 300, 10 * MINUTE);
    let ok: boolean;
    if (row?.refund_id) {
      ok = (await refunds.findRefundForCustomer(ctx.db.kysely, row.refund_id, caller.secret)) !== undefined;
    } else {
      ok = constantTimeEqual(row?.access_secret_hash ?? '0'.repeat(64), sha256Hex(caller.secret)) && !!row;
    }
    if (!row || !ok) throw errors.disputeNotFound();
    return { row, party: 'customer', actor: { ...CUSTOMER, ip: caller.ip } };
  }
  const merchant = row ? await merchants.findMerchant(ctx.db.kysely, row.merchant_id) : undefined;
  const a = caller.actor;
  if (!row || !merchant || !canSeeMerchant(a, { merchantId: merchant.id, acquirerId: merchant.acquirerId })) {
    throw errors.disputeNotFound();
  }
  const party: Party | undefined =
    a.role === 'supervisor' || a.role === 'merchant_owner'
      ? 'merchant'
      : a.role === 'acquirer_reviewer'
        ? 'acquirer'
        : a.role === 'platform_admin'
          ? 'admin'
          : undefined;
  if (!party) throw errors.notYourPart(`a ${a.role} takes no part in disputes`);
  return { row, party, actor: auditActorOf(a) };
}

/** @throws unauthenticated, not_found, forbidden, rate_limited */
export async function getDispute(ctx: DisputeContext, caller: DisputeCaller, id: string): Promise<Dispute> {
  const { row } = await reach(ctx, caller, id);
  return toDispute(ctx, row);
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
  ctx: DisputeContext,
  actor: Actor,
  q: { limit: number; cursor?: string; status?: DisputeStatus },
): Promise<{ data: DisputeSummary[]; nextCursor: string | null }> {
  let merchantIds: string[] | undefined;
  if (actor.role === 'acquirer_reviewer') {
    merchantIds = (await merchants.listMerchants(ctx.db.kysely))
      .filter((m) => m.acquirerId === actor.acquirerId)
      .map((m) => m.id);
  } else if (actor.role !== 'platform_admin') {
    merchantIds = actor.merchantId ? [actor.merchantId] : [];
  }
  const rows = await repo.listDisputeRows(ctx.db.kysely, {
    merchantIds,
    status: q.status,
    before: q.cursor,
    limit: q.limit + 1,
  });
  const data = rows.slice(0, q.limit).map(
    (r): DisputeSummary => ({
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
    }),
  );
  return { data, nextCursor: rows.length > q.limit ? (data.at(-1)?.id ?? null) : null };
}

// ── the step every change goes through ──────────────────────────────────────

interface Step {
  kind: DisputeEventKind;
  to?: DisputeStatus;
  note: string | null;
  set?: Partial<Omit<DisputeTable, 'id' | 'status'>>;
  action: string;
  details?: Record<string, unknown>;
  notify?: Notify;
  /** The merchant's webhook event for this step (`dispute.*`). */
  webhook?: string;
}

interface Notify {
  customer?: string;
  merchant?: string;
  data?: Record<string, unknown>;
}

/**
 * One change of a dispute, in the caller's transaction (invariant 3): the conditional update
 * (`where status = from`; zero rows means someone moved it first), its event row, the customer's
 * and the merchant's notifications, and the audit event, recorded last.
 * @throws invalid_transition
 */
async function step(
  trx: Tx,
  ctx: DisputeContext,
  row: DisputeTable,
  actor: DisputeActor,
  s: Step,
): Promise<DisputeTable> {
  const from = row.status as DisputeStatus;
  const to = s.to ?? from;
  const at = ctx.clock.now().toISOString();
  if (s.to !== undefined) {
    if (!canTransition(from, to)) throw errors.invalidTransition(from, `moved to ${to}`);
    if (!(await repo.updateStatus(trx, row.id, from, { ...s.set, status: to, updated_at: at }))) {
      throw errors.invalidTransition(from, `moved to ${to} (it changed meanwhile)`);
    }
  }
  const eventId = newId('dpe');
  await repo.insertEvent(trx, {
    id: eventId,
    dispute_id: row.id,
    kind: s.kind,
    from_status: s.to !== undefined ? from : null,
    to_status: to,
    actor_kind: actor.kind,
    actor_id: actor.id,
    note: s.note,
    created_at: at,
  });
  const moved: DisputeTable = { ...row, ...s.set, status: to, updated_at: at };
  if (s.notify) await notifyParties(trx, ctx, moved, eventId, s.notify);
  if (s.webhook) await emitWebhookEvent(trx, ctx, row.merchant_id, s.webhook, webhookData(moved));
  await recordAudit(trx, ctx, {
    merchantId: row.merchant_id,
    actor,
    action: s.action,
    outcome: 'success',
    objectType: 'dispute',
    objectId: row.id,
    details: {
      from: s.to !== undefined ? from : null,
      to,
      paymentId: row.payment_id,
      refundId: row.refund_id,
      ...s.details,
    },
  });
  return moved;
}

/** What the merchant's own systems get: ids and states, never the customer's contact or secrets. */
function webhookData(d: DisputeTable): Record<string, unknown> {
  return {
    disputeId: d.id,
    status: d.status,
    outcome: d.outcome,
    rulingOutcome: d.ruling_outcome,
    paymentId: d.payment_id,
    refundId: d.refund_id,
    forcedRefundId: d.forced_refund_id,
    mediationDueAt: d.mediation_due_at,
  };
}

async function notifyParties(trx: Tx, ctx: DisputeContext, d: DisputeTable, eventId: string, n: Notify): Promise<void> {
  const data = { disputeId: d.id, paymentId: d.payment_id, ...n.data };
  if (n.customer) await notifyCustomer(trx, ctx, d, n.customer, data, `dispute:${eventId}:customer`);
  if (n.merchant) await notifyMerchantOwner(trx, ctx, d.merchant_id, n.merchant, data, `dispute:${eventId}:merchant`);
}

async function notifyCustomer(
  trx: Tx,
  ctx: DisputeContext,
  d: Pick<DisputeTable, 'merchant_id' | 'customer_email' | 'customer_phone' | 'customer_language'>,
  template: string,
  data: Record<string, unknown>,
  dedupeKey: string,
): Promise<void> {
  const channel = d.customer_email ? 'email' : d.customer_phone ? 'sms' : undefined;
  if (!channel) return;
  await queueNotification(trx, ctx, {
    merchantId: d.merchant_id,
    channel,
    to: (channel === 'email' ? d.customer_email : d.customer_phone) as string,
    template,
    language: d.customer_language === 'en' ? 'en' : 'zh-CN',
    data,
    dedupeKey,
  });
}

// ── opening ─────────────────────────────────────────────────────────────────

export interface Contact {
  email?: string;
  phone?: string;
}

export interface OpenRefundDispute {
  refundId: string;
  trackingSecret: string;
  description: string;
  contact?: Contact;
  language?: NotificationLanguage;
}

export interface OpenPaymentDispute {
  paymentReference: string;
  cardLast4: string;
  description: string;
  contact: Contact;
  reason?: RefundReason;
  language?: NotificationLanguage;
}

export interface Opened {
  id: string;
  status: DisputeStatus;
  /** Payment disputes only: the customer's proof from now on. Shown once, stored as SHA-256. */
  accessSecret: string | null;
}

/**
 * Opens a dispute on a refund that went wrong (rejected, failed, or still pending past the
 * merchant's deadline), proven by its tracking secret.
 * @throws not_found (unknown refund or wrong secret, alike), dispute_not_allowed,
 *   dispute_already_open, rate_limited
 */
export async function openRefundDispute(ctx: DisputeContext, ip: string, input: OpenRefundDispute): Promise<Opened> {
  await hitRateLimit(ctx.db, ctx, `dispute-open:ip:${ip}`, 30, 10 * MINUTE);
  const refund = await refunds.findRefundForCustomer(ctx.db.kysely, input.refundId, input.trackingSecret);
  if (!refund) throw notFound('refund');
  const ok = refundDisputable(refund, ctx.clock.now());
  if (!ok.ok) throw errors.notAllowed(ok.why);
  const contact = {
    email: input.contact?.email ?? refund.customer?.email ?? null,
    phone: input.contact?.phone ?? refund.customer?.phone ?? null,
  };
  const id = await insertOpened(ctx, {
    merchantId: refund.merchantId,
    paymentId: refund.paymentId,
    refundId: refund.id,
    reason: refund.reason,
    description: input.description,
    contact,
    language: input.language ?? 'zh-CN',
    accessSecretHash: null,
    refundStatus: refund.status,
    ip,
  });
  return { id, status: 'negotiating', accessSecret: null };
}

/**
 * Opens a dispute on a payment the customer has no refund for, proven by the receipt reference and
 * the card's last 4 digits (one answer for every wrong pair, rate-limited like refund requests).
 * @throws payment_not_matched, dispute_not_allowed, dispute_already_open, rate_limited
 */
export async function openPaymentDispute(ctx: DisputeContext, ip: string, input: OpenPaymentDispute): Promise<Opened> {
  await hitRateLimit(ctx.db, ctx, `dispute-open:ip:${ip}`, 30, 10 * MINUTE);
  await hitRateLimit(ctx.db, ctx, `dispute-open:ref:${input.paymentReference}`, 10, 60 * MINUTE);
  const payment = await payments.proveCustomerPayment(ctx.db.kysely, input.paymentReference, input.cardLast4);
  if (!payment) {
    throw new AppError(
      'payment_not_matched',
      'no payment matches that receipt reference and card: check both on the receipt',
    );
  }
  if (payment.status !== 'approved' && payment.status !== 'failed') {
    throw errors.notAllowed(`a ${payment.status} payment took no money to dispute`);
  }
  if (payment.refundableAmount <= 0) throw errors.notAllowed('nothing of this payment is left to refund');
  const accessSecret = randomToken('rdx_', 32);
  const id = await insertOpened(ctx, {
    merchantId: payment.merchantId,
    paymentId: payment.id,
    refundId: null,
    reason: input.reason ?? 'other',
    description: input.description,
    contact: { email: input.contact.email ?? null, phone: input.contact.phone ?? null },
    language: input.language ?? 'zh-CN',
    accessSecretHash: sha256Hex(accessSecret),
    accessSecret,
    refundStatus: null,
    ip,
  });
  return { id, status: 'negotiating', accessSecret };
}

async function insertOpened(
  ctx: DisputeContext,
  o: {
    /** Where the customer asked from, for the audit event. */
    ip: string;
    merchantId: string;
    paymentId: string;
    refundId: string | null;
    reason: RefundReason;
    description: string;
    contact: { email: string | null; phone: string | null };
    language: NotificationLanguage;
    accessSecretHash: string | null;
    accessSecret?: string;
    refundStatus: string | null;
  },
): Promise<string> {
  if (await repo.findOpenDisputeOfPayment(ctx.db.kysely, o.paymentId)) throw errors.alreadyOpen();
  const at = ctx.clock.now().toISOString();
  const row: DisputeTable = {
    id: newId('dp'),
    merchant_id: o.merchantId,
    payment_id: o.paymentId,
    refund_id: o.refundId,
    status: 'negotiating',
    outcome: null,
    reason: o.reason,
    description: redactPans(o.description),
    customer_email: o.contact.email,
    customer_phone: o.contact.phone,
    customer_language: o.language,
    access_secret_hash: o.accessSecretHash,
    escalated_at: null,
    escalation_reason: null,
    mediation_due_at: null,
    ruling_outcome: null,
    ruling: null,
    ruled_by: null,
    ruled_at: null,
    ruling_amount: null,
    forced_refund_id: null,
    force_claimed_until: null,
    referred_at: null,
    closed_at: null,
    rating: null,
    rating_comment: null,
    rated_at: null,
    created_at: at,
    updated_at: at,
  };
  try {
    await transaction(ctx.db, async (trx) => {
      await repo.insertDispute(trx, row);
      const eventId = newId('dpe');
      await repo.insertEvent(trx, {
        id: eventId,
        dispute_id: row.id,
        kind: 'transition',
        from_status: null,
        to_status: 'negotiating',
        actor_kind: 'customer',
        actor_id: null,
        note: o.refundId ? `opened on refund ${o.refundId} (${o.refundStatus})` : `opened on payment ${o.paymentId}`,
        created_at: at,
      });
      await notifyCustomer(
        trx,
        ctx,
        row,
        'dispute_opened_customer',
        { disputeId: row.id, accessSecret: o.accessSecret ?? null },
        `dispute:${eventId}:customer`,
      );
      await notifyMerchantOwner(
        trx,
        ctx,
        row.merchant_id,
        'dispute_opened_merchant',
        { disputeId: row.id, paymentId: row.payment_id },
        `dispute:${eventId}:merchant`,
      );
      await emitWebhookEvent(trx, ctx, row.merchant_id, 'dispute.opened', webhookData(row));
      await recordAudit(trx, ctx, {
        merchantId: row.merchant_id,
        actor: { ...CUSTOMER, ip: o.ip },
        action: 'dispute.opened',
        outcome: 'success',
        objectType: 'dispute',
        objectId: row.id,
        details: { from: null, to: 'negotiating', paymentId: row.payment_id, refundId: row.refund_id },
      });
    });
  } catch (e) {
    // Two customers racing to open one: the partial unique index lets one through.
    if (isUniqueViolation(e)) throw errors.alreadyOpen();
    throw e;
  }
  ctx.wakeWorker();
  return row.id;
}

// ── negotiating ─────────────────────────────────────────────────────────────

/**
 * Adds a message (and up to 3 small attachments) to the thread: the customer or the merchant while
 * negotiating; the acquirer too once escalated. The other side is notified.
 * @throws unauthenticated, not_found, forbidden, invalid_transition, attachment_*, validation_failed
 */
export async function postMessage(
  ctx: DisputeContext,
  caller: DisputeCaller,
  id: string,
  input: { body: string; attachments?: AttachmentInput[] },
): Promise<Dispute> {
  const { row, party, actor } = await reach(ctx, caller, id);
  if (party === 'admin') throw errors.notYourPart('the platform reads disputes, it does not take part');
  if (!canPost(row.status as DisputeStatus, party)) {
    throw errors.invalidTransition(row.status as DisputeStatus, `written to by the ${party}`);
  }
  const files = validateAttachments(input.attachments ?? []);
  await transaction(ctx.db, async (trx) => {
    // Locked: a ruling that closes the thread cannot slip in between this check and the insert.
    const current = await repo.lockDisputeRow(trx, id);
    if (!current || !canPost(current.status as DisputeStatus, party)) {
      throw errors.invalidTransition((current?.status ?? row.status) as DisputeStatus, `written to by the ${party}`);
    }
    const at = ctx.clock.now().toISOString();
    const messageId = newId('dpm');
    await repo.insertMessage(trx, {
      id: messageId,
      dispute_id: id,
      author_party: party,
      author_kind: actor.kind,
      author_id: actor.id,
      body: redactPans(input.body),
      created_at: at,
    });
    for (const f of files) {
      await repo.insertAttachment(trx, {
        id: newId('dpa'),
        dispute_id: id,
        message_id: messageId,
        filename: redactPans(f.filename),
        content_type: f.contentType,
        size: f.size,
        sha256: f.sha256,
        data: f.data,
        created_at: at,
      });
    }
    const data = { disputeId: id, paymentId: current.payment_id, from: party };
    if (party !== 'customer') {
      await notifyCustomer(trx, ctx, current, 'dispute_message', data, `dispute:${messageId}:customer`);
    }
    if (party !== 'merchant') {
      await notifyMerchantOwner(
        trx,
        ctx,
        current.merchant_id,
        'dispute_message',
        data,
        `dispute:${messageId}:merchant`,
      );
    }
    // Free text (bodies, file names) stays out of the audit log: only ids, types, sizes, hashes.
    await recordAudit(trx, ctx, {
      merchantId: current.merchant_id,
      actor,
      action: 'dispute.message_posted',
      outcome: 'success',
      objectType: 'dispute',
      objectId: id,
      details: {
        messageId,
        party,
        attachments: files.map((f) => ({ contentType: f.contentType, size: f.size, sha256: auditSafeHash(f.sha256) })),
      },
    });
  });
  ctx.wakeWorker();
  return getDisputeRow(ctx, id);
}

async function getDisputeRow(ctx: DisputeContext, id: string): Promise<Dispute> {
  const row = await repo.findDisputeRow(ctx.db.kysely, id);
  if (!row) throw errors.disputeNotFound();
  return toDispute(ctx, row);
}

/** One attachment's bytes, for whoever may read the dispute. @throws not_found */
export async function getAttachment(
  ctx: DisputeContext,
  caller: DisputeCaller,
  id: string,
  attachmentId: string,
): Promise<{ filename: string; contentType: string; sha256: string; data: Buffer }> {
  await reach(ctx, caller, id);
  const a = await repo.findAttachmentRow(ctx.db.kysely, id, attachmentId);
  if (!a) throw notFound('attachment');
  return { filename: a.filename, contentType: a.content_type, sha256: a.sha256, data: Buffer.from(a.data) };
}

// ── escalation and the acquirer's ruling ───────────────────────────────────

/**
 * The customer takes the dispute to the acquirer: at once when the merchant rejected the refund,
 * otherwise after `escalationDays` of negotiation. The acquirer then has `mediationDays` to rule;
 * a job records it when that deadline passes.
 * @throws unauthenticated, not_found, forbidden (not the customer), invalid_transition,
 *   dispute_escalation_too_early
 */
export async function escalate(
  ctx: DisputeContext,
  caller: DisputeCaller,
  id: string,
  reason: string,
): Promise<Dispute> {
  const { row, party, actor } = await reach(ctx, caller, id);
  if (party !== 'customer') throw errors.notYourPart('only the customer escalates a dispute');
  if (row.status !== 'negotiating') throw errors.invalidTransition(row.status as DisputeStatus, 'escalated');
  const all = await refunds.listRefundsOfPayment(ctx.db.kysely, row.payment_id);
  const view = await toDispute(ctx, row, all);
  const now = ctx.clock.now();
  if (now.getTime() < new Date(view.escalationAllowedAt).getTime()) {
    throw errors.escalationTooEarly(view.escalationAllowedAt);
  }
  const settings = disputeSettings(ctx.config);
  const at = now.toISOString();
  const dueAt = addDays(at, settings.mediationDays);
  await transaction(ctx.db, async (trx) => {
    await step(trx, ctx, row, actor, {
      kind: 'transition',
      to: 'escalated',
      note: redactPans(reason),
      set: { escalated_at: at, escalation_reason: redactPans(reason), mediation_due_at: dueAt },
      action: 'dispute.escalated',
      details: { mediationDueAt: dueAt },
      notify: { customer: 'dispute_escalated', merchant: 'dispute_escalated', data: { dueAt } },
      webhook: 'dispute.escalated',
    });
    await enqueueJob(trx, ctx, JOB_MEDIATION_DEADLINE, { disputeId: id }, new Date(dueAt));
  });
  ctx.wakeWorker();
  return getDisputeRow(ctx, id);
}

export interface RulingInput {
  outcome: RulingOutcome;
  ruling: string;
  /** For the customer: how much to refund (default: the disputed refund, or all that is refundable). */
  amount?: number;
}

/**
 * The acquirer's ruling on an escalated dispute, by a reviewer of that merchant's acquirer. For the
 * customer it orders a refund, bounded by what is still refundable, straight to processing. The
 * ruling commits first, with a job that orders the refund; the refund is then ordered at once
 * here, and the job is the safety net (a crash between the two), never a second refund.
 * An `Idempotency-Key` replays the ruling (and returns the refund it ordered) instead of a 409.
 * @throws not_found, forbidden, invalid_transition, refund_exceeds_refundable (nothing is left),
 *   idempotency_conflict
 */
export async function decide(
  ctx: DisputeContext,
  caller: Actor,
  id: string,
  input: RulingInput,
  idempotency?: IdempotencyRequest,
): Promise<{ dispute: Dispute; refund: Refund | null; replayed: boolean }> {
  const { row, party, actor } = await reach(ctx, { kind: 'staff', actor: caller }, id);
  if (party !== 'acquirer') throw errors.notYourPart('only a reviewer of the merchant’s acquirer rules on a dispute');
  // Read before the transaction (other services read outside it); checked inside, after a replay
  // of the same Idempotency-Key has had its chance to answer.
  let amount: number | null = null;
  let refundable = 0;
  let currency: string | null = null;
  if (input.outcome === 'resolved_for_customer') {
    const payment = await payments.findPaymentById(ctx.db.kysely, row.payment_id);
    if (!payment) throw notFound('payment');
    currency = payment.currency;
    const disputed = row.refund_id ? await refunds.findRefundById(ctx.db.kysely, row.refund_id) : undefined;
    // A disputed refund that failed but still holds its amount is released by the ruling's refund.
    const held = disputed?.status === 'failed' && !disputed.failureFinal ? disputed.amount : 0;
    refundable = payment.refundableAmount + held;
    amount = Math.min(input.amount ?? disputed?.amount ?? refundable, refundable);
  }
  const at = ctx.clock.now().toISOString();
  const ruling = redactPans(input.ruling);
  const { replayed } = await idempotentTransaction(ctx.db, ctx, idempotency, async (trx) => {
    const current = await repo.lockDisputeRow(trx, id);
    if (current?.status !== 'escalated') {
      throw errors.invalidTransition((current?.status ?? row.status) as DisputeStatus, `ruled ${input.outcome}`);
    }
    if (input.outcome === 'resolved_for_customer' && refundable <= 0) {
      throw new AppError(
        'refund_exceeds_refundable',
        'nothing of this payment is left to refund: rule for the merchant',
        {
          refundableAmount: 0,
          currency,
        },
      );
    }
    await step(trx, ctx, current, actor, {
      kind: 'transition',
      to: input.outcome,
      note: ruling,
      set: { ruling_outcome: input.outcome, ruling, ruled_by: caller.id, ruled_at: at, ruling_amount: amount },
      action: 'dispute.ruled',
      details: { outcome: input.outcome, amount, currency },
      notify: {
        customer: 'dispute_resolved',
        merchant: 'dispute_resolved',
        data: { outcome: input.outcome, ruling, amount, currency },
      },
      webhook: 'dispute.resolved',
    });
    if (input.outcome === 'resolved_for_customer') {
      await enqueueJob(trx, ctx, JOB_FORCE_REFUND, { disputeId: id }, new Date(Date.parse(at) + 2 * MINUTE));
    }
    return { disputeId: id };
  });
  ctx.wakeWorker();
  const refund = input.outcome === 'resolved_for_customer' ? ((await orderRefund(ctx, id)) ?? null) : null;
  return { dispute: await getDisputeRow(ctx, id), refund, replayed };
}

/**
 * Creates the refund a ruling for the customer ordered, once. A lease on the dispute row keeps the
 * request and the safety-net job from both creating it; a refund already carrying this dispute's
 * id (created before a crash could record it here) is adopted instead of made again.
 */
async function orderRefund(ctx: DisputeContext, id: string): Promise<Refund | undefined> {
  const row = await repo.findDisputeRow(ctx.db.kysely, id);
  if (row?.ruling_outcome !== 'resolved_for_customer') return undefined;
  if (row.forced_refund_id) return refunds.findRefundById(ctx.db.kysely, row.forced_refund_id);
  const existing = (await refunds.listRefundsOfPayment(ctx.db.kysely, row.payment_id)).find((r) => r.disputeId === id);
  const now = ctx.clock.now();
  if (!existing) {
    const claimed = await transaction(ctx.db, (trx) =>
      repo.claimForcedRefund(trx, id, now.toISOString(), new Date(now.getTime() + 5 * MINUTE).toISOString()),
    );
    // Another request (a replayed twin) or the job is making it: wait for it rather than answer
    // without the refund the ruling ordered.
    if (!claimed) return waitForOrderedRefund(ctx, id);
  }
  const actor = { kind: 'user' as const, id: row.ruled_by };
  let refund: Refund;
  try {
    refund =
      existing ??
      (await refunds.forceRefundForDispute(ctx.db, ctx, {
        paymentId: row.payment_id,
        amount: row.ruling_amount ?? 0,
        reason: row.reason as RefundReason,
        disputeId: id,
        actor,
        supersedes: row.refund_id,
      }));
  } catch (e) {
    await repo.releaseForceClaim(ctx.db.kysely, id);
    if (!(e instanceof AppError)) throw e;
    // Nothing left to refund (someone refunded meanwhile): recorded, not retried for ever.
    await transaction(ctx.db, async (trx) => {
      const current = (await repo.findDisputeRow(trx, id)) ?? row;
      await step(trx, ctx, current, SYSTEM, {
        kind: 'refund_order_failed',
        note: `the ordered refund could not be made: ${e.code}`,
        action: 'dispute.refund_order_failed',
        details: { failure: e.code },
      });
    });
    return undefined;
  }
  await transaction(ctx.db, async (trx) => {
    if (!(await repo.setForcedRefund(trx, id, refund.id, ctx.clock.now().toISOString()))) return;
    const current = (await repo.findDisputeRow(trx, id)) ?? row;
    await step(trx, ctx, current, actor, {
      kind: 'refund_ordered',
      note: `refund ${refund.id} of ${refund.amount} ${refund.currency} ordered by the ruling`,
      action: 'dispute.refund_ordered',
      details: { forcedRefundId: refund.id, amount: refund.amount, currency: refund.currency },
    });
  });
  return refund;
}

async function waitForOrderedRefund(ctx: DisputeContext, id: string, timeoutMs = 5_000): Promise<Refund | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const row = await repo.findDisputeRow(ctx.db.kysely, id);
    if (row?.forced_refund_id) return refunds.findRefundById(ctx.db.kysely, row.forced_refund_id);
    if (!row?.force_claimed_until) return undefined;
  }
  return undefined;
}

async function forceRefundJob(ctx: DisputeContext, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.disputeId);
  const row = await repo.findDisputeRow(ctx.db.kysely, id);
  if (row?.ruling_outcome !== 'resolved_for_customer' || row.forced_refund_id) return;
  if (row.force_claimed_until && row.force_claimed_until > ctx.clock.now().toISOString()) {
    throw new Error(`dispute ${id}: the ordered refund is being made by another worker`);
  }
  await orderRefund(ctx, id);
}

/** The acquirer's mediation deadline: recorded (and both sides told) when it passes unruled. */
async function mediationDeadlineJob(ctx: DisputeContext, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.disputeId);
  const row = await repo.findDisputeRow(ctx.db.kysely, id);
  if (row?.status !== 'escalated' || !row.mediation_due_at) return;
  if (row.mediation_due_at > ctx.clock.now().toISOString()) return;
  await transaction(ctx.db, async (trx) => {
    const current = await repo.findDisputeRow(trx, id);
    if (current?.status !== 'escalated') return;
    const events = await repo.listEventRows(trx, id);
    if (events.some((e) => e.kind === 'mediation_overdue')) return;
    await step(trx, ctx, current, SYSTEM, {
      kind: 'mediation_overdue',
      note: `no ruling by ${current.mediation_due_at}`,
      action: 'dispute.mediation_overdue',
      details: { mediationDueAt: current.mediation_due_at },
      notify: {
        customer: 'dispute_mediation_overdue',
        merchant: 'dispute_mediation_overdue',
        data: { dueAt: current.mediation_due_at },
      },
    });
  });
}

/** The disputes domain's jobs, assembled with the others in `src/wiring.ts`. */
export const disputeJobHandlers: JobHandlers = {
  [JOB_FORCE_REFUND]: (db, ctx, payload) => forceRefundJob({ ...ctx, db }, payload),
  [JOB_MEDIATION_DEADLINE]: (db, ctx, payload) => mediationDeadlineJob({ ...ctx, db }, payload),
};

// ── referral, closing, rating ───────────────────────────────────────────────

export interface Referral {
  dispute: Dispute;
  caseFile: { id: string; sha256: string; generatedAt: string };
  /** For the third party: shown once (stored as SHA-256), valid for `shareLinkDays`. */
  shareLink: { token: string; url: string; expiresAt: string };
}

/**
 * Either side refers a dispute the acquirer ruled for the merchant to a third party. The case file
 * is frozen now (JSON, its SHA-256 recorded in the dispute's event and the audit log) and an
 * expiring share link to it is made for the third party.
 * @throws unauthenticated, not_found, forbidden, invalid_transition
 */
export async function refer(
  ctx: DisputeContext,
  caller: DisputeCaller,
  id: string,
  reason?: string,
): Promise<Referral> {
  const { row, party, actor } = await reach(ctx, caller, id);
  if (party !== 'customer' && party !== 'merchant')
    throw errors.notYourPart('only the customer or the merchant refers a dispute');
  if (!canTransition(row.status as DisputeStatus, 'referred')) {
    throw errors.invalidTransition(row.status as DisputeStatus, 'referred');
  }
  const at = ctx.clock.now().toISOString();
  const note = reason ? redactPans(reason) : null;
  const file = await buildCaseFile(ctx, row, { at, by: actor, reason: note });
  const token = randomToken('rdf_', 32);
  const expiresAt = addDays(at, disputeSettings(ctx.config).shareLinkDays);
  const caseFileId = newId('dcf');
  const linkId = newId('shr');
  await transaction(ctx.db, async (trx) => {
    await repo.insertCaseFile(trx, {
      id: caseFileId,
      dispute_id: id,
      sha256: file.sha256,
      content: JSON.stringify(file),
      created_at: at,
    });
    await repo.insertShareLink(trx, {
      id: linkId,
      dispute_id: id,
      case_file_id: caseFileId,
      token_hash: sha256Hex(token),
      created_by_kind: actor.kind,
      created_by_id: actor.id,
      created_at: at,
      expires_at: expiresAt,
    });
    await step(trx, ctx, row, actor, {
      kind: 'transition',
      to: 'referred',
      note: `case file ${caseFileId} sha256 ${file.sha256}${note ? `: ${note}` : ''}`,
      set: { referred_at: at },
      action: 'dispute.referred',
      details: {
        caseFileId,
        caseFileSha256: auditSafeHash(file.sha256),
        shareLinkId: linkId,
        shareLinkExpiresAt: expiresAt,
      },
      notify: { customer: 'dispute_referred', merchant: 'dispute_referred', data: { sha256: file.sha256 } },
      webhook: 'dispute.referred',
    });
  });
  ctx.wakeWorker();
  return {
    dispute: await getDisputeRow(ctx, id),
    caseFile: { id: caseFileId, sha256: file.sha256, generatedAt: file.generatedAt },
    shareLink: { token, url: `/api/v1/public/case-files/${token}`, expiresAt },
  };
}

/**
 * Closes a dispute with an outcome (see `closeRules`): settled once a linked refund succeeded,
 * withdrawn or accepted by the customer, concluded after a referral.
 * @throws unauthenticated, not_found, forbidden, invalid_transition, dispute_not_settled,
 *   validation_failed (concluded without a note)
 */
export async function closeDispute(
  ctx: DisputeContext,
  caller: DisputeCaller,
  id: string,
  input: { outcome: CloseOutcome; note?: string },
): Promise<Dispute> {
  const { row, party, actor } = await reach(ctx, caller, id);
  const rule = closeRules[input.outcome];
  if (!rule.by.includes(party)) throw errors.notYourPart(`the ${party} cannot close a dispute as ${input.outcome}`);
  if (!rule.from.includes(row.status as DisputeStatus)) {
    throw errors.invalidTransition(row.status as DisputeStatus, `closed as ${input.outcome}`);
  }
  if (input.outcome === 'concluded' && !input.note?.trim()) {
    throw new AppError('validation_failed', 'say what the third party decided', {
      errors: [{ path: 'body.note', message: 'required when the outcome is concluded' }],
    });
  }
  if (input.outcome === 'settled') {
    const all = await refunds.listRefundsOfPayment(ctx.db.kysely, row.payment_id);
    // After a ruling for the customer, it is the refund the ruling ordered that settles it.
    const settling = row.forced_refund_id
      ? all.filter((r) => r.id === row.forced_refund_id)
      : linkedRefunds({ id: row.id, refundId: row.refund_id, createdAt: row.created_at }, all);
    if (!settling.some((r) => r.status === 'succeeded')) throw errors.notSettled();
  }
  const at = ctx.clock.now().toISOString();
  await transaction(ctx.db, (trx) =>
    step(trx, ctx, row, actor, {
      kind: 'transition',
      to: 'closed',
      note: input.note ? `${input.outcome}: ${redactPans(input.note)}` : input.outcome,
      set: { outcome: input.outcome, closed_at: at },
      action: 'dispute.closed',
      details: { outcome: input.outcome },
      notify: { customer: 'dispute_closed', merchant: 'dispute_closed', data: { outcome: input.outcome } },
      webhook: 'dispute.closed',
    }),
  );
  ctx.wakeWorker();
  return getDisputeRow(ctx, id);
}

/**
 * The customer rates how a closed dispute was resolved, 1–5 with a comment, once.
 * @throws unauthenticated, not_found, forbidden, invalid_transition (not closed), dispute_already_rated
 */
export async function rateResolution(
  ctx: DisputeContext,
  caller: DisputeCaller,
  id: string,
  input: { score: number; comment?: string },
): Promise<Dispute> {
  const { row, party, actor } = await reach(ctx, caller, id);
  if (party !== 'customer') throw errors.notYourPart('only the customer rates the resolution');
  if (row.status !== 'closed') throw errors.invalidTransition(row.status as DisputeStatus, 'rated');
  const at = ctx.clock.now().toISOString();
  const comment = input.comment?.trim() ? redactPans(input.comment.trim()) : null;
  await transaction(ctx.db, async (trx) => {
    const set = { rating: input.score, rating_comment: comment, rated_at: at, updated_at: at };
    if (!(await repo.setRating(trx, id, set))) throw errors.alreadyRated();
    await step(trx, ctx, { ...row, ...set }, actor, {
      kind: 'rated',
      note: `${input.score}/5`,
      action: 'dispute.rated',
      details: { score: input.score },
    });
  });
  return getDisputeRow(ctx, id);
}

// ── case file ───────────────────────────────────────────────────────────────

async function auditEventsOf(ctx: DisputeContext, merchantId: string, objectIds: string[]) {
  const out: AuditEvent[] = [];
  for (const objectId of objectIds) {
    let cursor: string | undefined;
    do {
      const page = await listAuditEvents(ctx.db, ctx, systemActor, { merchantId, objectId, limit: 500, cursor });
      out.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return out;
}

async function buildCaseFile(
  ctx: DisputeContext,
  row: DisputeTable,
  referral: CaseFileInputs['referral'],
): Promise<CaseFile> {
  const [payment, merchant, refundList] = await Promise.all([
    payments.findPaymentById(ctx.db.kysely, row.payment_id),
    merchants.findMerchant(ctx.db.kysely, row.merchant_id),
    refunds.listRefundsOfPayment(ctx.db.kysely, row.payment_id),
  ]);
  // The rules in force when the disputed refund was asked for (or the dispute opened), not today's.
  const policyAsOf = refundList.find((r) => r.id === row.refund_id)?.createdAt ?? row.created_at;
  const refundPolicy = await refunds.getRefundPolicyAt(ctx.db.kysely, row.merchant_id, policyAsOf);
  if (!payment || !merchant) throw new Error(`dispute ${row.id} points at a missing payment or merchant`);
  const dispute = await toDispute(ctx, row, refundList);
  const auditEvents = await auditEventsOf(ctx, row.merchant_id, [
    row.id,
    row.payment_id,
    ...refundList.map((r) => r.id),
  ]);
  const content = assembleCaseFile({
    dispute,
    merchant: { id: merchant.id, name: merchant.name },
    payment,
    refunds: refundList,
    refundPolicy,
    auditEvents,
    referral,
  });
  return sealCaseFile(content, ctx.clock.now().toISOString());
}

/**
 * The case file as it stands now, for the merchant's people and the acquirer, at any stage. (The
 * third party reads the file frozen at referral, through its share link.)
 * @throws not_found, forbidden
 */
export async function getCaseFile(ctx: DisputeContext, actor: Actor, id: string): Promise<CaseFile> {
  const { row } = await reach(ctx, { kind: 'staff', actor }, id);
  const frozen = row.referred_at ? await latestReferral(ctx, row) : null;
  return buildCaseFile(ctx, row, frozen);
}

async function latestReferral(ctx: DisputeContext, row: DisputeTable): Promise<CaseFileInputs['referral']> {
  const events = await repo.listEventRows(ctx.db.kysely, row.id);
  const e = events.find((x) => x.kind === 'transition' && x.to_status === 'referred');
  return e ? { at: e.created_at, by: { kind: e.actor_kind, id: e.actor_id }, reason: e.note } : null;
}

/**
 * The case file frozen at referral, for the third party holding the share link. Each use is
 * recorded in the merchant's audit log.
 * @throws not_found (unknown token), share_link_expired, rate_limited
 */
export async function getSharedCaseFile(ctx: DisputeContext, ip: string, token: string): Promise<CaseFile> {
  await hitRateLimit(ctx.db, ctx, `case-file:ip:${ip}`, 60, 10 * MINUTE);
  const link = await repo.findShareLinkByHash(ctx.db.kysely, sha256Hex(token));
  if (!link) throw notFound('case file');
  if (link.expires_at <= ctx.clock.now().toISOString()) {
    throw new AppError(
      'share_link_expired',
      `this link expired at ${link.expires_at}: ask either party for a new copy`,
    );
  }
  const file = await repo.findCaseFileRow(ctx.db.kysely, link.case_file_id);
  const dispute = await repo.findDisputeRow(ctx.db.kysely, link.dispute_id);
  if (!file || !dispute) throw notFound('case file');
  await recordAuditNow(ctx.db, ctx, {
    merchantId: dispute.merchant_id,
    actor: { kind: 'share_link', id: link.id },
    action: 'dispute.case_file_shared_read',
    outcome: 'success',
    objectType: 'dispute',
    objectId: dispute.id,
    details: { caseFileId: file.id, caseFileSha256: auditSafeHash(file.sha256) },
  });
  return JSON.parse(file.content) as CaseFile;
}

// ── the acquirer's rule ─────────────────────────────────────────────────────

// A refund of a payment under dispute goes to a person at the acquirer, not through the rules:
// the person sees the dispute and can weigh the refund against it.
export const disputeAcquirerRules: AcquirerRules = {
  no_open_dispute: async (conn, refund) => {
    const open = await repo.findOpenDisputeOfPayment(conn, refund.paymentId);
    return open ? `the payment has an open dispute (${open.id})` : null;
  },
};
