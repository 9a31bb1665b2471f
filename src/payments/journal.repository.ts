import type { Conn, Tx } from '../db/transaction.js';
import type { TerminalJournalTable } from '../payments/payment.tables.js';

/** The last 凭证号 before the counter starts again at 000001. */
export const MAX_VOUCHER_NO = 999_999;

/**
 * Takes the terminal's next 凭证号: one upsert of the terminal's counter row, which holds that row's
 * write lock until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the whole
 * database), so concurrent transactions at one terminal get distinct, consecutive numbers, and a
 * rolled-back one gives its number back.
 */
export async function takeVoucherNo(trx: Tx, terminalId: string): Promise<number> {
  const r = await trx
    .insertInto('voucher_counters')
    .values({ terminal_id: terminalId, last_voucher_no: 1 })
    .onConflict((oc) =>
      oc.column('terminal_id').doUpdateSet((eb) => ({
        last_voucher_no: eb
          .case()
          .when('voucher_counters.last_voucher_no', '>=', MAX_VOUCHER_NO)
          .then(1)
          .else(eb('voucher_counters.last_voucher_no', '+', 1))
          .end(),
      })),
    )
    .returning('last_voucher_no')
    .executeTakeFirstOrThrow();
  return Number(r.last_voucher_no);
}

export async function insertEntry(trx: Tx, row: TerminalJournalTable): Promise<void> {
  await trx.insertInto('terminal_journal').values(row).execute();
}

/** A journal entry with what a slip prints beside it: its batch no. and its operator's no. */
export type EntryRow = TerminalJournalTable & { batch_no: number; operator_code: string | null };

function selectEntries(conn: Conn) {
  return conn
    .selectFrom('terminal_journal as j')
    .innerJoin('batches as b', 'b.id', 'j.batch_id')
    .leftJoin('operators as o', 'o.id', 'j.operator_id')
    .selectAll('j')
    .select(['b.batch_no', 'o.code as operator_code']);
}

export async function entriesOfPayment(conn: Conn, paymentId: string): Promise<EntryRow[]> {
  return selectEntries(conn).where('j.payment_id', '=', paymentId).orderBy('j.id').execute();
}

export async function entryOfRefund(conn: Conn, refundId: string): Promise<EntryRow | undefined> {
  return selectEntries(conn).where('j.refund_id', '=', refundId).executeTakeFirst();
}

/** A page of the terminal's journal, newest first, by 凭证号, batch no. or kind. */
export async function listEntryRows(
  conn: Conn,
  p: { terminalId: string; voucherNo?: number; batchNo?: number; kind?: string; before?: string; limit: number },
): Promise<EntryRow[]> {
  let q = selectEntries(conn).where('j.terminal_id', '=', p.terminalId);
  if (p.voucherNo !== undefined) q = q.where('j.voucher_no', '=', p.voucherNo);
  if (p.batchNo !== undefined) q = q.where('b.batch_no', '=', p.batchNo);
  if (p.kind !== undefined) q = q.where('j.kind', '=', p.kind);
  if (p.before !== undefined) q = q.where('j.id', '<', p.before);
  return q.orderBy('j.id', 'desc').limit(p.limit).execute();
}

/** The payments a terminal's entries with that 凭证号 point at, newest first. */
export async function paymentIdsByVoucher(conn: Conn, terminalId: string, voucherNo: number): Promise<string[]> {
  const rows = await conn
    .selectFrom('terminal_journal')
    .select('payment_id')
    .where('terminal_id', '=', terminalId)
    .where('voucher_no', '=', voucherNo)
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => r.payment_id);
}

/** Count and amount of a batch's entries, per kind (sale, void, refund). */
export async function batchEntryTotals(conn: Conn, batchId: string) {
  return conn
    .selectFrom('terminal_journal')
    .select('kind')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('amount').as('amount')])
    .where('batch_id', '=', batchId)
    .groupBy('kind')
    .execute();
}

/** Whether the operator has a sale, void or refund in a batch not yet settled (有流水未结算). */
export async function operatorHasOpenEntries(conn: Conn, operatorId: string): Promise<boolean> {
  const r = await conn
    .selectFrom('terminal_journal as j')
    .innerJoin('batches as b', 'b.id', 'j.batch_id')
    .select('j.id')
    .where('j.operator_id', '=', operatorId)
    .where('b.status', '=', 'open')
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}
