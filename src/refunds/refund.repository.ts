import { insertRow, prepare, prepareEach } from '../db/prepared.js';
import type { Conn, Tx } from '../db/transaction.js';
import type {
  RefundEventTable,
  RefundPolicyHistoryTable,
  RefundPolicyTable,
  RefundTable,
} from '../refunds/refund.tables.js';
import type { RefundStatus } from './refund.js';

export async function insertRefund(trx: Tx, row: RefundTable): Promise<void> {
  await insertRow(trx, 'refunds', row);
}

export async function insertEvent(trx: Tx, row: RefundEventTable): Promise<void> {
  await insertRow(trx, 'refund_events', row);
}

const refundById = prepare((c, v: { id: string }) => c.selectFrom('refunds').selectAll().where('id', '=', v.id));

export async function findRefundRow(conn: Conn, id: string): Promise<RefundTable | undefined> {
  return refundById.first(conn, { id });
}

/** The latest dispute the customer opened on this refund (for the customer's tracking page). */
export async function findDisputeIdOfRefund(conn: Conn, refundId: string): Promise<string | undefined> {
  const row = await conn
    .selectFrom('disputes')
    .select('id')
    .where('refund_id', '=', refundId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.id;
}

const eventsOfRefund = prepare((c, v: { refundId: string }) =>
  c.selectFrom('refund_events').selectAll().where('refund_id', '=', v.refundId).orderBy('id'),
);

export async function listEventRows(conn: Conn, refundId: string): Promise<RefundEventTable[]> {
  return eventsOfRefund.all(conn, { refundId });
}

/** The timelines of many refunds, by refund id, each in event order. */
export async function listEventRowsOf(conn: Conn, refundIds: string[]): Promise<Map<string, RefundEventTable[]>> {
  const byRefund = new Map<string, RefundEventTable[]>();
  if (refundIds.length === 0) return byRefund;
  const rows = await conn
    .selectFrom('refund_events')
    .selectAll()
    .where('refund_id', 'in', refundIds)
    .orderBy('id')
    .execute();
  for (const e of rows) {
    const list = byRefund.get(e.refund_id);
    if (list) list.push(e);
    else byRefund.set(e.refund_id, [e]);
  }
  return byRefund;
}

/**
 * The conditional update behind every transition: it moves the refund only if every column the
 * decision read — its state, whether a failure is final, its review mode — is still as read.
 * Zero rows means another writer changed it first.
 */
export async function updateStatus(
  trx: Tx,
  read: Pick<RefundTable, 'id' | 'status' | 'failure_final' | 'acquirer_review'>,
  set: Partial<Omit<RefundTable, 'id' | 'status'>> & { status: RefundStatus; updated_at: string },
): Promise<boolean> {
  const columns = Object.keys(set).filter((k) => set[k as keyof typeof set] !== undefined);
  const was = {
    was_id: read.id,
    was_status: read.status,
    was_final: read.failure_final,
    was_review: read.acquirer_review,
  };
  const q = statusUpdate({ columns, reviewWasNull: read.acquirer_review === null });
  return (await q.changed(trx, { ...set, ...was })) === 1;
}
/** One prepared update per set of columns changed and per `acquirer_review` tested for NULL or a value. */
const statusUpdate = prepareEach(
  (s: { columns: string[]; reviewWasNull: boolean }) => `${s.columns.join()}|${s.reviewWasNull}`,
  (c, v: Record<string, unknown>, s) =>
    c
      .updateTable('refunds')
      .set(Object.fromEntries(s.columns.map((k) => [k, v[k]])))
      .where('id', '=', v.was_id as string)
      .where('status', '=', v.was_status as RefundStatus)
      .where('failure_final', '=', v.was_final as number)
      .where('acquirer_review', s.reviewWasNull ? 'is' : '=', s.reviewWasNull ? null : (v.was_review as string)),
);

/** A failed refund that could still be retried becomes final (its amount released); false if it was not. */
export async function markFailureFinal(trx: Tx, id: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('refunds')
    .set({ failure_final: 1, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .where('failure_final', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export interface RefundPage {
  merchantId?: string;
  acquirerId?: string;
  paymentId?: string;
  status?: RefundStatus;
  before?: string;
  limit: number;
}

export async function listRefundRows(conn: Conn, p: RefundPage): Promise<RefundTable[]> {
  let q = conn.selectFrom('refunds').selectAll('refunds');
  if (p.merchantId) q = q.where('refunds.merchant_id', '=', p.merchantId);
  if (p.acquirerId)
    q = q
      .innerJoin('merchants', 'merchants.id', 'refunds.merchant_id')
      .where('merchants.acquirer_id', '=', p.acquirerId);
  if (p.paymentId) q = q.where('refunds.payment_id', '=', p.paymentId);
  if (p.status) q = q.where('refunds.status', '=', p.status);
  if (p.before) q = q.where('refunds.id', '<', p.before);
  return q.orderBy('refunds.id', 'desc').limit(p.limit).execute();
}

// ── policy ───────────────────────────────────────────────────────────────────

export async function findPolicyRow(conn: Conn, merchantId: string): Promise<RefundPolicyTable | undefined> {
  return policyOf.first(conn, { merchantId });
}
const policyOf = prepare((c, v: { merchantId: string }) =>
  c.selectFrom('refund_policies').selectAll().where('merchant_id', '=', v.merchantId),
);

export async function upsertPolicy(conn: Conn, row: RefundPolicyTable): Promise<void> {
  const { merchant_id: _m, ...rest } = row;
  await conn
    .insertInto('refund_policies')
    .values(row)
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(rest))
    .execute();
}

export async function insertPolicyHistory(trx: Tx, row: RefundPolicyHistoryTable): Promise<void> {
  await trx.insertInto('refund_policy_history').values(row).execute();
}

/** The policy a merchant had set at `at` (the newest one effective by then), if any. */
export async function findPolicyHistoryAt(conn: Conn, merchantId: string, at: string) {
  return conn
    .selectFrom('refund_policy_history')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('effective_from', '<=', at)
    .orderBy('effective_from', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

// ── queues and deadlines ─────────────────────────────────────────────────────

export async function listManualReviewRows(conn: Conn, acquirerId: string | null, limit: number, before?: string) {
  let q = conn
    .selectFrom('refunds')
    .innerJoin('merchants', 'merchants.id', 'refunds.merchant_id')
    .selectAll('refunds')
    .where('refunds.status', '=', 'pending_acquirer')
    .where('refunds.acquirer_review', '=', 'manual');
  if (acquirerId) q = q.where('merchants.acquirer_id', '=', acquirerId);
  if (before) q = q.where('refunds.id', '<', before);
  return q.orderBy('refunds.id', 'desc').limit(limit).execute();
}

/** Sends a refund waiting for the acquirer to a person; false if it no longer waits (or already is). */
export async function markForManualReview(trx: Tx, id: string): Promise<boolean> {
  const r = await trx
    .updateTable('refunds')
    .set({ acquirer_review: 'manual' })
    .where('id', '=', id)
    .where('status', '=', 'pending_acquirer')
    .where((eb) => eb.or([eb('acquirer_review', 'is', null), eb('acquirer_review', '!=', 'manual')]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function listRefundRowsOfPayment(conn: Conn, paymentId: string): Promise<RefundTable[]> {
  return conn.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute();
}

/** How many refunds are in each of `statuses` (the `refunds_acquirer_queue` index, led by status). */
export async function countByStatus(conn: Conn, statuses: readonly RefundStatus[]): Promise<Map<string, number>> {
  const rows = await conn
    .selectFrom('refunds')
    .select(['status', (eb) => eb.fn.countAll().as('n')])
    .where('status', 'in', statuses)
    .groupBy('status')
    .execute();
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}
