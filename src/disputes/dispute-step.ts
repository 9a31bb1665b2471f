import { recordAudit } from '../audit/audit.service.js';
import type { AppContext } from '../context.js';
import type { Tx } from '../db/transaction.js';
import type { DisputeTable } from '../disputes/dispute.tables.js';
import { newId } from '../ids.js';
import { notifyMerchantOwner, queueNotification } from '../notifications/notification.service.js';
import { emitWebhookEvent } from '../webhooks/webhook.service.js';
import * as errors from './dispute.errors.js';
import { canTransition, type DisputeActor, type DisputeEventKind, type DisputeStatus } from './dispute.js';
import * as repo from './dispute.repository.js';
// The templates the steps' notifications name.
import './dispute.notifications.js';

/** The state every dispute starts in. */
export const OPENING_STATUS: DisputeStatus = 'negotiating';

export interface Step {
  kind: DisputeEventKind;
  /** The state the dispute moves to; none for an event that changes no state. */
  to?: DisputeStatus;
  note: string | null;
  set?: Partial<Omit<DisputeTable, 'id' | 'status'>>;
  action: string;
  details?: Record<string, unknown>;
  notify?: Notify;
  /** The merchant's webhook event for this step (`dispute.*`). */
  webhook?: string;
}

export interface Notify {
  customer?: string;
  merchant?: string;
  /** Added to both parties' notification data (which always names the dispute and the payment). */
  data?: Record<string, unknown>;
  /** The customer's notification data in full, instead of the shared data. */
  customerData?: Record<string, unknown>;
}

/**
 * One change of a dispute, in the caller's transaction (invariant 3): the conditional update
 * (`where status = from`; zero rows means someone moved it first) — or, for `openingStep`, the
 * insert — its event row, the customer's and the merchant's notifications, the merchant's webhook
 * event, and the audit event, recorded last. `row` must be read in this transaction.
 * @throws invalid_transition
 */
export async function step(tx: Tx, ctx: AppContext, row: DisputeTable, actor: DisputeActor, s: Step) {
  return apply(tx, ctx, row, actor, s, false);
}

/**
 * The first step of a dispute: `row` (in `OPENING_STATUS`) is inserted, its event goes from
 * nothing to that state. A second dispute of the payment that is not closed fails on the partial
 * unique index (the caller answers dispute_already_open).
 */
export async function openingStep(tx: Tx, ctx: AppContext, row: DisputeTable, actor: DisputeActor, s: Step) {
  return apply(tx, ctx, row, actor, { ...s, to: OPENING_STATUS }, true);
}

async function apply(
  tx: Tx,
  ctx: AppContext,
  row: DisputeTable,
  actor: DisputeActor,
  s: Step,
  opens: boolean,
): Promise<DisputeTable> {
  const from = opens ? null : (row.status as DisputeStatus);
  const to = s.to ?? (row.status as DisputeStatus);
  const moves = opens || s.to !== undefined;
  const at = ctx.clock.now().toISOString();
  const moved: DisputeTable = { ...row, ...s.set, status: to, updated_at: at };
  if (opens) {
    await repo.insertDispute(tx, moved);
  } else if (from !== null && s.to !== undefined) {
    if (!canTransition(from, to)) throw errors.invalidTransition(from, `moved to ${to}`);
    if (!(await repo.updateStatus(tx, row.id, from, { ...s.set, status: to, updated_at: at }))) {
      throw errors.invalidTransition(from, `moved to ${to} (it changed meanwhile)`);
    }
  }
  const eventId = newId('dpe');
  await repo.insertEvent(tx, {
    id: eventId,
    dispute_id: row.id,
    kind: s.kind,
    from_status: moves ? from : null,
    to_status: to,
    actor_kind: actor.kind,
    actor_id: actor.id,
    note: s.note,
    created_at: at,
  });
  if (s.notify) await notifyParties(tx, ctx, moved, eventId, s.notify);
  if (s.webhook) await emitWebhookEvent(tx, ctx, row.merchant_id, s.webhook, webhookData(moved));
  await recordAudit(tx, ctx, {
    merchantId: row.merchant_id,
    actor,
    action: s.action,
    outcome: 'success',
    objectType: 'dispute',
    objectId: row.id,
    details: {
      from: moves ? from : null,
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

async function notifyParties(tx: Tx, ctx: AppContext, d: DisputeTable, eventId: string, n: Notify): Promise<void> {
  const data = { disputeId: d.id, paymentId: d.payment_id, ...n.data };
  if (n.customer) {
    await notifyCustomer(tx, ctx, d, n.customer, n.customerData ?? data, `dispute:${eventId}:customer`);
  }
  if (n.merchant) await notifyMerchantOwner(tx, ctx, d.merchant_id, n.merchant, data, `dispute:${eventId}:merchant`);
}

/** Tells the customer by e-mail, else by SMS; a dispute without either contact tells no one. */
export async function notifyCustomer(
  tx: Tx,
  ctx: AppContext,
  d: Pick<DisputeTable, 'merchant_id' | 'customer_email' | 'customer_phone' | 'customer_language'>,
  template: string,
  data: Record<string, unknown>,
  dedupeKey: string,
): Promise<void> {
  const channel = d.customer_email ? 'email' : d.customer_phone ? 'sms' : undefined;
  if (!channel) return;
  await queueNotification(tx, ctx, {
    merchantId: d.merchant_id,
    channel,
    to: (channel === 'email' ? d.customer_email : d.customer_phone) as string,
    template,
    language: d.customer_language === 'en' ? 'en' : 'zh-CN',
    data,
    dedupeKey,
  });
}
