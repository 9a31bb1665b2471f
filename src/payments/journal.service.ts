import { type Actor, canActOnTerminal } from '../auth/actor.js';
import { type Page, pageOf } from '../db/page.js';
import type { Conn, Tx } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as terminals from '../terminals/terminal.service.js';
import * as repo from './journal.repository.js';
import * as payments from './payment.repository.js';

/**
 * The terminal's journal (流水): every sale, void and refund made at a terminal, in its batch,
 * under the terminal's next 凭证号 (voucher no.). What a slip prints, what 撤销 / 打印 find by
 * voucher, and what a settlement counts.
 */
export type EntryKind = 'sale' | 'void' | 'refund';

export interface JournalEntry {
  kind: EntryKind;
  terminalId: string;
  batchNo: number;
  voucherNo: number;
  operatorCode: string | null;
  paymentId: string;
  refundId: string | null;
  amount: number;
  currency: string;
  createdAt: string;
}

export function entryRowToEntry(r: repo.EntryRow): JournalEntry {
  return {
    kind: r.kind as EntryKind,
    terminalId: r.terminal_id,
    batchNo: Number(r.batch_no),
    voucherNo: Number(r.voucher_no),
    operatorCode: r.operator_code,
    paymentId: r.payment_id,
    refundId: r.refund_id,
    amount: Number(r.amount),
    currency: r.currency,
    createdAt: r.created_at,
  };
}

export interface NewEntry {
  kind: EntryKind;
  terminalId: string;
  merchantId: string;
  batchId: string;
  paymentId: string;
  refundId?: string;
  operatorId: string | null;
  amount: number;
  currency: string;
  at: string;
}

/** Records a transaction in the terminal's journal under its next 凭证号, in the caller's transaction; returns the number. */
export async function recordEntry(trx: Tx, e: NewEntry): Promise<number> {
  const voucherNo = await repo.takeVoucherNo(trx, e.terminalId);
  await repo.insertEntry(trx, {
    id: newId('jnl'),
    terminal_id: e.terminalId,
    merchant_id: e.merchantId,
    batch_id: e.batchId,
    voucher_no: voucherNo,
    kind: e.kind,
    payment_id: e.paymentId,
    refund_id: e.refundId ?? null,
    operator_id: e.operatorId,
    amount: e.amount,
    currency: e.currency,
    created_at: e.at,
  });
  return voucherNo;
}

/** The terminal's open batch, opened on first use after a settlement. */
export async function openBatch(trx: Tx, terminalId: string, merchantId: string, at: string): Promise<string> {
  const open = await payments.findOpenBatch(trx, terminalId, 'share');
  if (open) return open.id;
  const id = newId('bat');
  const inserted = await payments.insertBatch(trx, {
    id,
    terminal_id: terminalId,
    merchant_id: merchantId,
    batch_no: (await payments.lastBatchNo(trx, terminalId)) + 1,
    status: 'open',
    opened_at: at,
    settled_at: null,
    totals: null,
  });
  if (inserted) return id;
  // A concurrent sale on this terminal opened the batch first (PostgreSQL): join it.
  const opened = await payments.findOpenBatch(trx, terminalId, 'share');
  if (!opened) throw new Error(`terminal ${terminalId}: the batch opened concurrently is gone`);
  return opened.id;
}

/**
 * A refund made at a terminal's counter (退货) joins that terminal's open batch under its next
 * 凭证号, whichever terminal sold the original. Other refunds (console, API, customer) are no
 * terminal's transaction.
 */
export async function recordCounterRefund(
  trx: Tx,
  at: { terminalId: string; merchantId: string; operatorId: string; now: string },
  refund: { id: string; paymentId: string; amount: number; currency: string },
): Promise<number> {
  return recordEntry(trx, {
    kind: 'refund',
    terminalId: at.terminalId,
    merchantId: at.merchantId,
    batchId: await openBatch(trx, at.terminalId, at.merchantId, at.now),
    paymentId: refund.paymentId,
    refundId: refund.id,
    operatorId: at.operatorId,
    amount: refund.amount,
    currency: refund.currency,
    at: at.now,
  });
}

/** Whether the operator has transactions in an open batch (有流水未结算): then it may not be deleted. */
export async function operatorHasUnsettled(conn: Conn, operatorId: string): Promise<boolean> {
  return repo.operatorHasOpenEntries(conn, operatorId);
}

export interface JournalFilter {
  voucher?: number;
  batch?: number;
  kind?: EntryKind;
}

/**
 * 流水: the terminal's journal, newest first, a page at a time — by 凭证号 (what 打印 and 撤销 look
 * up), batch no. or kind. Its operators see only their own terminal's. @throws not_found (terminal)
 */
export async function listJournal(
  conn: Conn,
  actor: Actor,
  terminalId: string,
  page: { limit: number; cursor?: string } & JournalFilter,
): Promise<Page<JournalEntry>> {
  const terminal = await terminals.findTerminal(conn, terminalId);
  if (!terminal || !canActOnTerminal(actor, { ...terminal, terminalId: terminal.id })) throw notFound('terminal');
  const rows = await repo.listEntryRows(conn, {
    terminalId: terminal.id,
    voucherNo: page.voucher,
    batchNo: page.batch,
    kind: page.kind,
    before: page.cursor,
    limit: page.limit + 1,
  });
  return pageOf(rows, page.limit, entryRowToEntry);
}
