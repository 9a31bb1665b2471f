import type { Actor } from '../auth/actor.js';
import type { Conn } from '../db/transaction.js';
import { notFound } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import * as terminals from '../terminals/terminal.service.js';
import * as journalRepo from './journal.repository.js';
import * as journal from './journal.service.js';
import type { Payment } from './payment.js';
import { findPaymentById, getPayment } from './payment.service.js';
import { type Receipt, type ReceiptParty, refundReceipt, saleReceipt, voidReceipt } from './receipt.js';

/** The slips (签购单): sale, void and refund receipts with the terminal journal's numbers. */

/** The merchant's and terminal's numbers a slip prints. */
export async function receiptPartyOf(conn: Conn, p: { merchantId: string; terminalId: string }): Promise<ReceiptParty> {
  const [merchant, terminal] = await Promise.all([
    merchants.findMerchant(conn, p.merchantId),
    terminals.findTerminal(conn, p.terminalId),
  ]);
  return {
    merchantName: merchant?.name ?? '',
    merchantNo: merchant?.merchantNo ?? '',
    terminalNo: terminal?.terminalNo ?? '',
  };
}

/** The slip's party when the transaction was made at another terminal (a refund at a second counter). */
async function receiptPartyAt(conn: Conn, p: Payment, terminalId: string): Promise<ReceiptParty> {
  return receiptPartyOf(conn, { ...p, terminalId });
}

/**
 * Sale receipt, or void receipt once voided (`kind` asks for one of them: a voided sale's own slip
 * can still be reprinted), with the batch no., 凭证号 and operator no. of the
 * terminal's journal; times in `timeZone` (IANA; UTC when not told). @throws not_found
 */
export async function getPaymentReceipt(
  conn: Conn,
  actor: Actor,
  id: string,
  timeZone?: string,
  kind?: 'sale' | 'void',
): Promise<Receipt> {
  const p = await getPayment(conn, actor, id);
  const party = await receiptPartyOf(conn, p);
  const entries = (await journalRepo.entriesOfPayment(conn, p.id)).map(journal.entryRowToEntry);
  const sale = entries.find((e) => e.kind === 'sale');
  if (kind === 'void' && p.status !== 'voided') throw notFound('void');
  if (kind !== 'sale' && p.status === 'voided' && p.voidedAt) {
    return voidReceipt(
      party,
      p,
      p.voidedAt,
      entries.find((e) => e.kind === 'void'),
      sale,
      timeZone,
    );
  }
  return saleReceipt(party, p, sale, timeZone);
}

/** For the refunds service, which has already checked the actor may see the refund. */
export async function refundReceiptFor(
  conn: Conn,
  paymentId: string,
  refund: Parameters<typeof refundReceipt>[2],
  timeZone?: string,
): Promise<Receipt> {
  const p = await findPaymentById(conn, paymentId);
  if (!p) throw notFound('payment');
  const row = await journalRepo.entryOfRefund(conn, refund.id);
  const entry = row ? journal.entryRowToEntry(row) : undefined;
  const party = entry ? await receiptPartyAt(conn, p, entry.terminalId) : await receiptPartyOf(conn, p);
  return refundReceipt(party, p, refund, entry, timeZone);
}
