import { format } from '../money.js';
import { maskedPan } from './card.js';

/**
 * Receipt data (签购单): the lines a terminal prints, a merchant copy to keep (with a signature
 * line) and a customer copy. Pure: built from objects, never stored.
 */
export interface Receipt {
  kind: 'sale' | 'void' | 'refund';
  merchantCopy: string[];
  customerCopy: string[];
}

interface ReceiptParty {
  merchantName: string;
  merchantId: string;
  terminalSerial: string;
}

interface ReceiptPayment {
  reference: string;
  amount: number;
  currency: string;
  card: { bin: string; last4: string; brand: string };
  authCode: string | null;
  batchId: string;
  createdAt: string;
  status: string;
}

function header(p: ReceiptParty, copy: string): string[] {
  return [
    'POS 签购单 / SALES SLIP',
    copy,
    `商户名称 MERCHANT: ${p.merchantName}`,
    `商户编号 MERCHANT NO: ${p.merchantId}`,
    `终端编号 TERMINAL: ${p.terminalSerial}`,
  ];
}

function body(kind: Receipt['kind'], pay: ReceiptPayment, amount: number, at: string, extra: string[]): string[] {
  const title = { sale: '消费 SALE', void: '撤销 VOID', refund: '退货 REFUND' }[kind];
  return [
    `卡号 CARD: ${maskedPan(pay.card)} (${pay.card.brand})`,
    `交易类型 TYPE: ${title}`,
    `参考号 REF NO: ${pay.reference}`,
    ...(pay.authCode ? [`授权码 AUTH: ${pay.authCode}`] : []),
    `日期时间 DATE: ${at}`,
    ...extra,
    `金额 AMOUNT: ${kind === 'sale' ? '' : '-'}${format({ amount, currency: pay.currency })}`,
  ];
}

function build(kind: Receipt['kind'], party: ReceiptParty, lines: string[]): Receipt {
  return {
    kind,
    merchantCopy: [
      ...header(party, '商户存根 MERCHANT COPY'),
      ...lines,
      '持卡人签名 CARDHOLDER SIGNATURE: ____________',
    ],
    customerCopy: [...header(party, '持卡人存根 CUSTOMER COPY'), ...lines],
  };
}

export function saleReceipt(party: ReceiptParty, pay: ReceiptPayment): Receipt {
  const status =
    pay.status === 'approved' || pay.status === 'voided' ? [] : [`结果 RESULT: ${pay.status.toUpperCase()}`];
  return build('sale', party, body('sale', pay, pay.amount, pay.createdAt, status));
}

export function voidReceipt(party: ReceiptParty, pay: ReceiptPayment, voidedAt: string): Receipt {
  return build('void', party, body('void', pay, pay.amount, voidedAt, []));
}

export function refundReceipt(
  party: ReceiptParty,
  pay: ReceiptPayment,
  refund: { id: string; amount: number; status: string; createdAt: string; processorReference: string | null },
): Receipt {
  return build(
    'refund',
    party,
    body('refund', pay, refund.amount, refund.createdAt, [
      `退款单号 REFUND: ${refund.id}`,
      `状态 STATUS: ${refund.status}`,
      ...(refund.processorReference ? [`追踪号 TRACE: ${refund.processorReference}`] : []),
    ]),
  );
}
