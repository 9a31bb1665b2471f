import { minorUnitExponent } from '../money.js';
import { maskedPan } from './card.js';

/**
 * Receipt data (签购单): the lines a terminal prints, a merchant copy to keep (with a signature
 * line) and a cardholder copy, laid out as a Chinese POS slip (TERMINAL.md). Pure: built from
 * objects, never stored.
 */
export interface Receipt {
  kind: 'sale' | 'void' | 'refund' | 'settlement';
  merchantCopy: string[];
  customerCopy: string[];
}

export interface ReceiptParty {
  merchantName: string;
  /** 商户编号, 15 digits. */
  merchantNo: string;
  /** 终端编号, 8 digits. */
  terminalNo: string;
}

/** Where the transaction sits in its terminal's journal; absent for a refund made off the terminal. */
export interface ReceiptEntry {
  batchNo: number;
  voucherNo: number;
  operatorCode: string | null;
}

export interface ReceiptPayment {
  reference: string;
  amount: number;
  currency: string;
  card: { bin: string; last4: string; brand: string };
  authCode: string | null;
  createdAt: string;
  status: string;
}

/** How a slip prints a time: `MM/DD hh:mm:ss`, in `timeZone` (an IANA name; UTC when not told). */
export function slipTime(iso: string, timeZone = 'UTC'): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.month}/${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** Whether `timeZone` is a time zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** `RMB 12.34` (a slip's money: the currency, then the amount; negative for voids and refunds). */
export function slipAmount(amount: number, currency: string): string {
  const exp = minorUnitExponent(currency);
  const abs = Math.abs(amount);
  const major =
    exp === 0 ? String(abs) : `${Math.floor(abs / 10 ** exp)}.${String(abs % 10 ** exp).padStart(exp, '0')}`;
  return `${currency === 'CNY' ? 'RMB' : currency} ${amount < 0 ? '-' : ''}${major}`;
}

const six = (n: number | undefined) => (n === undefined ? '------' : String(n).padStart(6, '0'));

const TITLE = { sale: '消费(SALE)', void: '撤销(VOID)', refund: '退货(REFUND)' } as const;

/** A refund's state as a slip words it: never the API's raw value. */
const REFUND_STATE: Record<string, string> = {
  pending_merchant: '待商户审核(MERCHANT REVIEW)',
  pending_acquirer: '待收单审核(ACQUIRER REVIEW)',
  processing: '处理中(PROCESSING)',
  succeeded: '退款成功(SUCCEEDED)',
  failed: '退款失败(FAILED)',
  rejected_by_merchant: '商户拒绝(MERCHANT REJECTED)',
  rejected_by_acquirer: '收单拒绝(ACQUIRER REJECTED)',
  canceled: '已撤销(CANCELED)',
};

interface Slip {
  kind: keyof typeof TITLE;
  party: ReceiptParty;
  entry?: ReceiptEntry;
  pay: ReceiptPayment;
  amount: number;
  at: string;
  /** 备注(REFERENCE): the original transaction, a refund's number and state, a decline. */
  remarks: string[];
}

function lines(s: Slip, copy: 'merchant' | 'cardholder', timeZone?: string): string[] {
  const { party, entry, pay } = s;
  const signed = s.kind === 'sale' ? s.amount : -s.amount;
  return [
    'POS签购单 POS SALES SLIP',
    copy === 'merchant' ? '商户存根(MERCHANT COPY)' : '持卡人存根(CARDHOLDER COPY)',
    `商户名称(MERCHANT NAME): ${party.merchantName}`,
    `商户编号(MERCHANT NO.): ${party.merchantNo}`,
    `终端编号(TERMINAL NO.): ${party.terminalNo}`,
    `操作员号(OPERATOR NO.): ${entry?.operatorCode ?? '--'}`,
    `卡号(CARD NO.): ${maskedPan(pay.card)} ${pay.card.brand.toUpperCase()}`,
    `交易类型(TRANS TYPE): ${TITLE[s.kind]}`,
    `批次号(BATCH NO.): ${six(entry?.batchNo)}  凭证号(VOUCHER NO.): ${six(entry?.voucherNo)}`,
    ...(pay.authCode ? [`授权码(AUTH NO.): ${pay.authCode}`] : []),
    `参考号(REFER NO.): ${pay.reference}`,
    `日期/时间(DATE/TIME): ${slipTime(s.at, timeZone)}`,
    `金额(AMOUNT): ${slipAmount(signed, pay.currency)}`,
    `备注(REFERENCE): ${s.remarks.length === 0 ? '' : s.remarks[0]}`,
    ...s.remarks.slice(1),
    ...(copy === 'merchant'
      ? [
          '持卡人签名(CARDHOLDER SIGNATURE): ____________',
          '本人确认以上交易, 同意将其记入本卡账户',
          'I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES',
        ]
      : []),
  ];
}

function build(s: Slip, timeZone?: string): Receipt {
  return { kind: s.kind, merchantCopy: lines(s, 'merchant', timeZone), customerCopy: lines(s, 'cardholder', timeZone) };
}

export function saleReceipt(party: ReceiptParty, pay: ReceiptPayment, entry?: ReceiptEntry, timeZone?: string) {
  const remarks =
    pay.status === 'approved' || pay.status === 'voided' ? [] : [`结果(RESULT): ${pay.status.toUpperCase()}`];
  return build({ kind: 'sale', party, entry, pay, amount: pay.amount, at: pay.createdAt, remarks }, timeZone);
}

export function voidReceipt(
  party: ReceiptParty,
  pay: ReceiptPayment,
  voidedAt: string,
  entry?: ReceiptEntry,
  original?: ReceiptEntry,
  timeZone?: string,
): Receipt {
  const remarks = [`原凭证号(ORIG VOUCHER): ${six(original?.voucherNo)}`];
  return build({ kind: 'void', party, entry, pay, amount: pay.amount, at: voidedAt, remarks }, timeZone);
}

export function refundReceipt(
  party: ReceiptParty,
  pay: ReceiptPayment,
  refund: { id: string; amount: number; status: string; createdAt: string; processorReference: string | null },
  entry?: ReceiptEntry,
  timeZone?: string,
): Receipt {
  const remarks = [
    `原交易日期(ORIG DATE): ${slipTime(pay.createdAt, timeZone).slice(0, 5)}`,
    `退款单号(REFUND NO.): ${refund.id}`,
    `状态(STATUS): ${REFUND_STATE[refund.status] ?? refund.status.toUpperCase()}`,
    ...(refund.processorReference ? [`追踪号(TRACE): ${refund.processorReference}`] : []),
  ];
  return build({ kind: 'refund', party, entry, pay, amount: refund.amount, at: refund.createdAt, remarks }, timeZone);
}

export interface SettlementTotals {
  batchNo: number;
  settledAt: string;
  currency: string;
  sales: { count: number; amount: number };
  voids: { count: number; amount: number };
  refunds: { count: number; amount: number };
  net: number;
}

/**
 * 结算总计单: the settlement slip, printed once (no cardholder copy), with the terminal's numbers,
 * who settled, and per kind the count and amount (voids and refunds negative), then the net.
 */
export function settlementReceipt(
  party: ReceiptParty,
  totals: SettlementTotals,
  operatorCode: string | null,
  timeZone?: string,
): Receipt {
  const row = (label: string, c: { count: number; amount: number }, sign: 1 | -1) =>
    `${label}: ${c.count} 笔(TXN)  ${slipAmount(sign * c.amount, totals.currency)}`;
  return {
    kind: 'settlement',
    merchantCopy: [
      'POS结算总计单 SETTLEMENT',
      `商户名称(MERCHANT NAME): ${party.merchantName}`,
      `商户编号(MERCHANT NO.): ${party.merchantNo}`,
      `终端编号(TERMINAL NO.): ${party.terminalNo}`,
      `操作员号(OPERATOR NO.): ${operatorCode ?? '--'}`,
      `批次号(BATCH NO.): ${six(totals.batchNo)}`,
      `日期/时间(DATE/TIME): ${slipTime(totals.settledAt, timeZone)}`,
      row('消费(SALE)', totals.sales, 1),
      row('撤销(VOID)', totals.voids, -1),
      row('退货(REFUND)', totals.refunds, -1),
      `净额(NET): ${slipAmount(totals.net, totals.currency)}`,
    ],
    customerCopy: [],
  };
}
