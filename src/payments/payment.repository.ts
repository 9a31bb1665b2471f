import { sql } from 'kysely';
import { isPlanted } from '../db/failpoints.js';
import { prepare } from '../db/prepared.js';
import { type Conn, hasRowLocks, type Tx } from '../db/transaction.js';
import type { BatchTable, PaymentTable } from '../payments/payment.tables.js';

/** Inserts the payment; false (nothing inserted) when its receipt reference is already taken. */
export async function insertPayment(trx: Tx, row: PaymentTable): Promise<boolean> {
  const r = await trx
    .insertInto('payments')
    .values(row)
    .onConflict((oc) => oc.column('reference').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

const paymentById = prepare((c, v: { id: string }) => c.selectFrom('payments').selectAll().where('id', '=', v.id));

export async function findPaymentRow(conn: Conn, id: string): Promise<PaymentTable | undefined> {
  return paymentById.first(conn, { id });
}

export async function findPaymentRowByReference(conn: Conn, reference: string): Promise<PaymentTable | undefined> {
  return conn.selectFrom('payments').selectAll().where('reference', '=', reference).executeTakeFirst();
}

/**
 * Reads the payment and, on PostgreSQL, locks its row until the transaction ends: every refund or
 * void of one payment queues here, which is what keeps the refund sum under the captured amount.
 * On SQLite the transaction already holds the database write lock (BEGIN IMMEDIATE).
 */
export async function lockPaymentRow(trx: Tx, id: string): Promise<PaymentTable | undefined> {
  return (isPlanted('skip_payment_lock') ? paymentById : lockedPaymentById).first(trx, { id });
}
const lockedPaymentById = prepare((c, v: { id: string }) => {
  const q = c.selectFrom('payments').selectAll().where('id', '=', v.id);
  return hasRowLocks(c) ? q.forUpdate() : q;
});

/**
 * Moves amounts between the payment's refund sums; false (nothing changed) when the result would
 * leave a sum negative or the refunds beyond captured − voided — which the payment lock and the
 * refundable check make impossible, and the table's CHECK refuses as well.
 */
export async function moveRefundAmounts(
  trx: Tx,
  id: string,
  delta: { reserved: number; refunded: number },
): Promise<boolean> {
  const changed = await refundAmountsMoved.changed(trx, { id, ...delta, both: delta.reserved + delta.refunded });
  return changed === 1;
}
const refundAmountsMoved = prepare((c, v: { id: string; reserved: number; refunded: number; both: number }) =>
  c
    .updateTable('payments')
    .set((eb) => ({
      reserved_amount: eb('reserved_amount', '+', v.reserved),
      refunded_amount: eb('refunded_amount', '+', v.refunded),
    }))
    .where('id', '=', v.id)
    .where(sql<boolean>`reserved_amount + ${v.reserved} >= 0 AND refunded_amount + ${v.refunded} >= 0`)
    .where(
      sql<boolean>`reserved_amount + refunded_amount + ${v.both} <= CASE WHEN status = 'voided' THEN 0 ELSE captured_amount END`,
    ),
);

export async function markVoided(trx: Tx, id: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('payments')
    .set({ status: 'voided', voided_at: at })
    .where('id', '=', id)
    .where('status', '=', 'approved')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setFlagged(trx: Tx, id: string, flagged: boolean): Promise<void> {
  await trx
    .updateTable('payments')
    .set({ flagged: flagged ? 1 : 0 })
    .where('id', '=', id)
    .execute();
}

export interface PaymentPage {
  merchantId?: string;
  terminalId?: string;
  acquirerId?: string;
  /** The 12-digit 参考号. */
  reference?: string;
  /** The batch no. (批次号) of the payment's terminal. */
  batchNo?: number;
  /** A 凭证号 of the terminal's journal (the sale's, or its void's or a refund's). */
  voucherNo?: number;
  before?: string;
  limit: number;
}

export async function listPaymentRows(conn: Conn, p: PaymentPage): Promise<PaymentTable[]> {
  let q = conn.selectFrom('payments').selectAll('payments');
  if (p.merchantId) q = q.where('payments.merchant_id', '=', p.merchantId);
  if (p.terminalId) q = q.where('payments.terminal_id', '=', p.terminalId);
  if (p.acquirerId)
    q = q
      .innerJoin('merchants', 'merchants.id', 'payments.merchant_id')
      .where('merchants.acquirer_id', '=', p.acquirerId);
  if (p.reference) q = q.where('payments.reference', '=', p.reference);
  if (p.batchNo !== undefined) {
    const batchNo = p.batchNo;
    q = q.where('payments.batch_id', 'in', (eb) =>
      eb
        .selectFrom('batches')
        .select('batches.id')
        .whereRef('batches.terminal_id', '=', 'payments.terminal_id')
        .where('batches.batch_no', '=', batchNo),
    );
  }
  if (p.voucherNo !== undefined) {
    const voucherNo = p.voucherNo;
    q = q.where('payments.id', 'in', (eb) =>
      eb
        .selectFrom('terminal_journal')
        .select('terminal_journal.payment_id')
        .whereRef('terminal_journal.terminal_id', '=', 'payments.terminal_id')
        .where('terminal_journal.voucher_no', '=', voucherNo),
    );
  }
  if (p.before) q = q.where('payments.id', '<', p.before);
  return q.orderBy('payments.id', 'desc').limit(p.limit).execute();
}

// ── settlement batches ────────────────────────────────────────────────────────

/**
 * The terminal's open batch. On PostgreSQL a sale takes it `share` and a settlement `update`: a
 * settlement waits for sales in flight to commit (so its totals include them), and a sale that
 * waited behind a settlement sees the batch closed and opens the next one.
 */
export async function findOpenBatch(
  conn: Conn,
  terminalId: string,
  lock?: 'share' | 'update',
): Promise<BatchTable | undefined> {
  // 'open' is a literal, as in the partial unique index batches_one_open_per_terminal: compared with
  // a parameter, SQLite would plan the statement again for every value it is run with.
  const q = conn
    .selectFrom('batches')
    .selectAll()
    .where('terminal_id', '=', terminalId)
    .where('status', '=', sql.lit('open'));
  if (!lock || !hasRowLocks(conn)) return q.executeTakeFirst();
  return (lock === 'share' ? q.forShare() : q.forUpdate()).executeTakeFirst();
}

export async function lastBatchNo(conn: Conn, terminalId: string): Promise<number> {
  const r = await conn
    .selectFrom('batches')
    .select((eb) => eb.fn.max('batch_no').as('n'))
    .where('terminal_id', '=', terminalId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Opens a batch unless the terminal already has an open one or one with that number (both unique):
 * false when a concurrent sale opened it first. PostgreSQL waits for that sale's transaction, then
 * skips instead of failing; the target-less ON CONFLICT covers both constraints.
 */
export async function insertBatch(trx: Tx, row: BatchTable): Promise<boolean> {
  const r = await trx
    .insertInto('batches')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

/**
 * A batch by id. A void takes it `share`, as a sale does: a settlement then waits for the void to
 * commit (its totals count the void), and a void that waited behind a settlement sees it settled.
 */
export async function findBatchRow(conn: Conn, id: string, lock?: 'share'): Promise<BatchTable | undefined> {
  return (lock ? sharedBatchById : batchById).first(conn, { id });
}
const batchById = prepare((c, v: { id: string }) => c.selectFrom('batches').selectAll().where('id', '=', v.id));
const sharedBatchById = prepare((c, v: { id: string }) => {
  const q = c.selectFrom('batches').selectAll().where('id', '=', v.id);
  return hasRowLocks(c) ? q.forShare() : q;
});

/** The terminal's settled batch with that number, or its last settled one. */
export async function findSettledBatch(
  conn: Conn,
  terminalId: string,
  batchNo?: number,
): Promise<BatchTable | undefined> {
  let q = conn.selectFrom('batches').selectAll().where('terminal_id', '=', terminalId).where('status', '=', 'settled');
  if (batchNo !== undefined) q = q.where('batch_no', '=', batchNo);
  return q.orderBy('batch_no', 'desc').limit(1).executeTakeFirst();
}

export async function closeBatch(trx: Tx, id: string, at: string, totals: string): Promise<boolean> {
  const r = await trx
    .updateTable('batches')
    .set({ status: 'settled', settled_at: at, totals })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function batchPaymentTotals(conn: Conn, batchId: string) {
  return conn
    .selectFrom('payments')
    .select(['status', 'currency'])
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('amount').as('amount')])
    .where('batch_id', '=', batchId)
    .groupBy(['status', 'currency'])
    .execute();
}

export async function countBatchPayments(trx: Tx, batchId: string): Promise<number> {
  const r = await trx
    .selectFrom('payments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('batch_id', '=', batchId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
