import { recordAudit } from '../audit/audit.service.js';
import { type Actor, auditActorOf, canActOnTerminal } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import * as operators from '../operators/operator.service.js';
import * as terminals from '../terminals/terminal.service.js';
import * as journalRepo from './journal.repository.js';
import * as errors from './payment.errors.js';
import type { Payment, PaymentStatus } from './payment.js';
import * as repo from './payment.repository.js';
import { receiptPartyOf } from './payment-receipt.service.js';
import { type Receipt, settlementReceipt } from './receipt.js';

/** 结算 (settlement): a terminal's open batch, its totals, and closing it. */

export interface BatchTotals {
  batchId: string;
  batchNo: number;
  terminalId: string;
  openedAt: string;
  settledAt: string;
  currency: string;
  sales: { count: number; amount: number };
  voids: { count: number; amount: number };
  /** Refunds (退货) made at the terminal's counter in this batch, whatever became of them since. */
  refunds: { count: number; amount: number };
  declined: { count: number };
  failed: { count: number; amount: number };
  /** Sales − voids − refunds. */
  net: number;
  /** The operator no. (操作员号) who settled at the terminal; null when settled from a console. */
  operatorCode: string | null;
}

/** A batch's totals: sales and voids from its payments, refunds from the terminal's journal. */
async function batchTotals(
  conn: Conn,
  batch: { id: string; batch_no: number; terminal_id: string; opened_at: string },
  currency: string,
  settledAt: string,
  operatorCode: string | null = null,
): Promise<BatchTotals> {
  const rows = await repo.batchPaymentTotals(conn, batch.id);
  const pick = (s: PaymentStatus) => rows.find((r) => r.status === s);
  const count = (s: PaymentStatus) => Number(pick(s)?.count ?? 0);
  const amount = (s: PaymentStatus) => Number(pick(s)?.amount ?? 0);
  const refunded = (await journalRepo.batchEntryTotals(conn, batch.id)).find((r) => r.kind === 'refund');
  const refunds = { count: Number(refunded?.count ?? 0), amount: Number(refunded?.amount ?? 0) };
  return {
    batchId: batch.id,
    batchNo: batch.batch_no,
    terminalId: batch.terminal_id,
    openedAt: batch.opened_at,
    settledAt,
    currency,
    sales: { count: count('approved') + count('voided'), amount: amount('approved') + amount('voided') },
    voids: { count: count('voided'), amount: amount('voided') },
    refunds,
    declined: { count: count('declined') },
    failed: { count: count('failed'), amount: amount('failed') },
    net: amount('approved') - refunds.amount,
    operatorCode,
  };
}

/**
 * Settles (结算) the terminal's open batch: closes it and returns its totals. After this, its
 * sales can be refunded but no longer voided. @throws not_found, batch_empty
 */
export async function settleTerminal(db: Db, ctx: AppContext, actor: Actor, terminalId: string): Promise<BatchTotals> {
  const terminal = await terminals.findTerminal(db.kysely, terminalId);
  if (!terminal || !canActOnTerminal(actor, { ...terminal, terminalId: terminal.id })) throw notFound('terminal');
  const merchant = await merchants.findMerchant(db.kysely, terminal.merchantId);
  return transaction(db, async (trx) => {
    const batch = await repo.findOpenBatch(trx, terminal.id, 'update');
    if (!batch) throw errors.batchEmpty();
    const at = ctx.clock.now().toISOString();
    const operator = actor.kind === 'operator' ? await operators.findOperatorRecord(trx, actor.id) : undefined;
    const totals = await batchTotals(trx, batch, merchant?.currency ?? 'CNY', at, operator?.code ?? null);
    if (!(await repo.closeBatch(trx, batch.id, at, JSON.stringify(totals)))) throw errors.batchEmpty();
    await recordAudit(trx, ctx, {
      merchantId: terminal.merchantId,
      actor: auditActorOf(actor),
      action: 'batch.settled',
      outcome: 'success',
      objectType: 'batch',
      objectId: batch.id,
      terminalId: terminal.id,
      details: { batchNo: batch.batch_no, net: totals.net, sales: totals.sales.count, refunds: totals.refunds.count },
    });
    return totals;
  });
}

export type OpenBatch = Omit<BatchTotals, 'settledAt' | 'batchId' | 'openedAt' | 'operatorCode'> & {
  batchId: string | null;
  openedAt: string | null;
};

/**
 * 查询 → 汇总: the open batch's totals so far, without closing it; when none is open (right after
 * a settlement), the number the next batch will take and zeros. @throws not_found (terminal)
 */
export async function openBatchSummary(conn: Conn, actor: Actor, terminalId: string): Promise<OpenBatch> {
  const terminal = await terminals.findTerminal(conn, terminalId);
  if (!terminal || !canActOnTerminal(actor, { ...terminal, terminalId: terminal.id })) throw notFound('terminal');
  const currency = (await merchants.findMerchant(conn, terminal.merchantId))?.currency ?? 'CNY';
  const batch = await repo.findOpenBatch(conn, terminal.id);
  if (batch) {
    const { settledAt: _, operatorCode: __, ...totals } = await batchTotals(conn, batch, currency, '');
    return totals;
  }
  const zero = { count: 0, amount: 0 };
  return {
    batchId: null,
    batchNo: (await repo.lastBatchNo(conn, terminal.id)) + 1,
    terminalId: terminal.id,
    openedAt: null,
    currency,
    sales: zero,
    voids: zero,
    refunds: zero,
    declined: { count: 0 },
    failed: zero,
    net: 0,
  };
}

/**
 * Locks the terminal's open batch as a settlement does (`FOR UPDATE`: sales in flight commit first)
 * and counts its payments, for a re-initialisation, which refuses an unsettled batch.
 */
export async function lockOpenBatch(
  trx: Tx,
  terminalId: string,
): Promise<{ batchId: string; payments: number } | undefined> {
  const batch = await repo.findOpenBatch(trx, terminalId, 'update');
  return batch ? { batchId: batch.id, payments: await repo.countBatchPayments(trx, batch.id) } : undefined;
}

/** Whether the payment's batch is settled (结算): for the acquirer's refund rules. */
export async function isPaymentSettled(conn: Conn, payment: Payment): Promise<boolean> {
  return (await repo.findBatchRow(conn, payment.batchId))?.status === 'settled';
}

/**
 * 结算总计单: the settlement slip of the terminal's settled batch with that number, or of its last
 * settlement; for 打印 → 结算单 on any browser, not only the one that settled. @throws not_found
 */
export async function getSettlementReceipt(
  conn: Conn,
  actor: Actor,
  terminalId: string,
  batchNo?: number,
  timeZone?: string,
): Promise<Receipt> {
  const terminal = await terminals.findTerminal(conn, terminalId);
  if (!terminal || !canActOnTerminal(actor, { ...terminal, terminalId: terminal.id })) throw notFound('terminal');
  const batch = await repo.findSettledBatch(conn, terminal.id, batchNo);
  if (!batch?.totals || !batch.settled_at) throw notFound('settlement');
  const totals = JSON.parse(batch.totals) as BatchTotals;
  const party = await receiptPartyOf(conn, { merchantId: terminal.merchantId, terminalId: terminal.id });
  return settlementReceipt(party, { ...totals, settledAt: batch.settled_at }, totals.operatorCode ?? null, timeZone);
}
