import { verifyAuditChains } from '../../src/audit/audit.service.js';
import type { Db } from '../../src/db/connect.js';
import {
  type DisputeStatus,
  canTransition as disputeCanTransition,
  disputeStatuses,
} from '../../src/disputes/dispute.js';
import { findPaymentById } from '../../src/payments/payment.service.js';
import {
  canTransition,
  holdsReservation,
  JOB_ACQUIRER_REVIEW,
  JOB_MERCHANT_DEADLINE,
  JOB_PROCESS,
  type RefundStatus,
  refundStatuses,
} from '../../src/refunds/refund.js';

/**
 * The money checker's judge: reads the database after a round (nothing in flight) and lists every
 * broken invariant. It trusts no application read model: sums are made here from the rows.
 */
export interface Violation {
  kind: string;
  detail: string;
}

type Row = Record<string, unknown>;

function groupBy<T extends Row>(rows: T[], key: keyof T): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = String(r[key]);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

export async function checkInvariants(database: Db): Promise<Violation[]> {
  const db = database.kysely;
  const out: Violation[] = [];
  const bad = (kind: string, detail: string) => out.push({ kind, detail });

  const [payments, refunds, events, audits, disputes, disputeEvents, jobs] = await Promise.all([
    db.selectFrom('payments').selectAll().execute(),
    db.selectFrom('refunds').selectAll().orderBy('id').execute(),
    db.selectFrom('refund_events').selectAll().orderBy('id').execute(),
    db
      .selectFrom('audit_events')
      .select(['object_id', 'action'])
      .where('object_type', 'in', ['refund', 'payment', 'dispute'])
      .execute(),
    db.selectFrom('disputes').selectAll().execute(),
    db.selectFrom('dispute_events').selectAll().orderBy('id').execute(),
    db.selectFrom('jobs').selectAll().execute(),
  ]);
  const refundsOf = groupBy(refunds, 'payment_id');
  const eventsOf = groupBy(events, 'refund_id');
  const auditsOf = groupBy(audits, 'object_id');

  // 1. Never more than was paid, and the payment's figures agree with the rows.
  for (const p of payments) {
    const captured = Number(p.captured_amount);
    const voided = p.status === 'voided' ? captured : 0;
    const rows = refundsOf.get(p.id) ?? [];
    const held = rows
      .filter((r) => holdsReservation(r.status as RefundStatus, Number(r.failure_final) === 1))
      .reduce((s, r) => s + Number(r.amount), 0);
    const succeeded = rows.filter((r) => r.status === 'succeeded').reduce((s, r) => s + Number(r.amount), 0);
    const reserved = held - succeeded;
    if (Number(p.refunded_amount) !== succeeded || Number(p.reserved_amount) !== reserved) {
      bad(
        'payment_columns',
        `payment ${p.id}: row says refunded ${p.refunded_amount}, reserved ${p.reserved_amount}; its refunds give ${succeeded}, ${reserved}`,
      );
    }
    if (held > captured - voided) {
      bad(
        'over_refund',
        `payment ${p.id}: ${held} reserved or refunded against ${captured} captured − ${voided} voided`,
      );
    }
    if (rows.length > 0 || p.status !== 'declined') {
      const view = await findPaymentById(database.kysely, p.id);
      const refundable = captured - voided - held;
      if (
        !view ||
        view.refundedAmount !== succeeded ||
        view.pendingRefundAmount !== held - succeeded ||
        view.refundableAmount !== Math.max(0, refundable)
      ) {
        bad(
          'payment_figures',
          `payment ${p.id}: API says refunded ${view?.refundedAmount}, pending ${view?.pendingRefundAmount}, refundable ${view?.refundableAmount}; rows give ${succeeded}, ${held - succeeded}, ${refundable}`,
        );
      }
    }
  }

  // 2. Every refund in a state (and flag combination) the table allows, with its whole history.
  const statuses = new Set<string>(refundStatuses);
  for (const r of refunds) {
    const status = r.status as RefundStatus;
    const final = Number(r.failure_final);
    if (!statuses.has(status)) bad('refund_state', `refund ${r.id}: unknown status ${status}`);
    if (final !== 0 && final !== 1) bad('refund_state', `refund ${r.id}: failure_final ${final}`);
    if (final === 1 && status !== 'failed') bad('refund_state', `refund ${r.id}: ${status} with failure_final`);
    if (status === 'failed' && !r.failure_reason) bad('refund_state', `refund ${r.id}: failed without a reason`);
    if (status === 'succeeded' && !r.processor_reference) bad('refund_state', `refund ${r.id}: succeeded, no trace`);
    if (!(Number(r.amount) > 0)) bad('refund_state', `refund ${r.id}: amount ${r.amount}`);

    const timeline = eventsOf.get(r.id) ?? [];
    let at: string | null = null;
    let changes = 0;
    for (const e of timeline) {
      const from = e.from_status as RefundStatus | null;
      const to = e.to_status as RefundStatus;
      const sideStep = from === to && (to === 'pending_acquirer' || to === 'failed');
      if (from !== at || (from !== null && !sideStep && !canTransition(from, to))) {
        bad('refund_timeline', `refund ${r.id}: event ${from ?? 'null'}→${to} after ${at ?? 'nothing'}`);
      }
      if (!sideStep) changes++;
      at = to;
    }
    if (at !== status) bad('refund_timeline', `refund ${r.id}: is ${status}, timeline ends at ${at}`);
    const audited = (auditsOf.get(r.id) ?? []).filter(
      (a) => a.action === 'refund.created' || a.action === 'refund.status_changed',
    ).length;
    if (audited !== changes) bad('refund_audit', `refund ${r.id}: ${changes} state changes, ${audited} audit events`);
  }

  // 3. Disputes: known states, transitions from the table, one ordered refund at most.
  const disputeStates = new Set<string>(disputeStatuses);
  const devOf = groupBy(disputeEvents, 'dispute_id');
  const ordered = groupBy(
    refunds.filter((r) => r.dispute_id),
    'dispute_id',
  );
  for (const d of disputes) {
    if (!disputeStates.has(d.status)) bad('dispute_state', `dispute ${d.id}: unknown status ${d.status}`);
    let at: string | null = null;
    for (const e of (devOf.get(d.id) ?? []).filter((x) => x.kind === 'transition')) {
      const from = e.from_status as DisputeStatus | null;
      if (from !== at || (from !== null && !disputeCanTransition(from, e.to_status as DisputeStatus))) {
        bad('dispute_timeline', `dispute ${d.id}: ${from ?? 'null'}→${e.to_status} after ${at ?? 'nothing'}`);
      }
      at = e.to_status;
    }
    if (at !== d.status) bad('dispute_timeline', `dispute ${d.id}: is ${d.status}, timeline ends at ${at}`);
    // Every event of a dispute has its audit event (messages and case-file reads are audited alone).
    const steps = (devOf.get(d.id) ?? []).length;
    const stepAudits = (auditsOf.get(d.id) ?? []).filter(
      (a) => a.action !== 'dispute.message_posted' && a.action !== 'dispute.case_file_shared_read',
    ).length;
    if (stepAudits !== steps) bad('dispute_audit', `dispute ${d.id}: ${steps} events, ${stepAudits} audit events`);
    const made = ordered.get(d.id) ?? [];
    if (made.length > 1) bad('dispute_refunds', `dispute ${d.id}: ${made.length} refunds ordered by one ruling`);
    if (d.forced_refund_id && !made.some((r) => r.id === d.forced_refund_id)) {
      bad('dispute_refunds', `dispute ${d.id}: forced refund ${d.forced_refund_id} does not point back`);
    }
  }

  // 4. No job lost or stuck: each waiting refund has its job, nothing is left claimed, none died.
  const open = jobs.filter((j) => j.done_at === null);
  const waiting = new Set(open.map((j) => `${j.kind}:${(JSON.parse(j.payload) as { refundId?: string }).refundId}`));
  for (const j of jobs) {
    if (j.done_at === null && j.locked_until !== null) bad('job_stuck', `job ${j.id} (${j.kind}) is still claimed`);
    if (j.done_at !== null && j.last_error !== null && j.attempts >= 10) {
      bad('job_dead', `job ${j.id} (${j.kind}) gave up: ${j.last_error}`);
    }
  }
  for (const r of refunds) {
    const need =
      r.status === 'processing'
        ? JOB_PROCESS
        : r.status === 'pending_acquirer' && r.acquirer_review === null
          ? JOB_ACQUIRER_REVIEW
          : r.status === 'pending_merchant'
            ? JOB_MERCHANT_DEADLINE
            : null;
    if (need && !waiting.has(`${need}:${r.id}`)) bad('job_lost', `refund ${r.id} is ${r.status} with no ${need} job`);
  }

  // 5. The audit log is intact.
  const audit = await verifyAuditChains(database.kysely);
  if (!audit.ok) bad('audit_chain', JSON.stringify(audit.firstBad));
  return out;
}
