/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface BatchTable {
  id: string;
  terminal_id: string;
  merchant_id: string;
  batch_no: number;
  status: string;
  opened_at: string;
  settled_at: string | null;
  totals: string | null;
}

export interface PaymentTable {
  id: string;
  merchant_id: string;
  terminal_id: string;
  batch_id: string;
  operator_id: string | null;
  reference: string;
  amount: number;
  currency: string;
  captured_amount: number;
  status: string;
  card_bin: string;
  card_last4: string;
  card_brand: string;
  auth_code: string | null;
  decline_code: string | null;
  failure_reason: string | null;
  voided_at: string | null;
  flagged: number;
  created_at: string;
  /** Sum of the payment's succeeded refunds; changed only by `payments.moveRefundAmounts`. */
  refunded_amount: number;
  /** Sum of its refunds still holding a reservation (pending, processing, retryable failure). */
  reserved_amount: number;
}

/** src/payments/journal (migration 021): a terminal's transactions (流水), each with its 凭证号 in a batch. */
export interface TerminalJournalTable {
  id: string;
  terminal_id: string;
  merchant_id: string;
  batch_id: string;
  voucher_no: number;
  kind: string;
  payment_id: string;
  refund_id: string | null;
  operator_id: string | null;
  amount: number;
  currency: string;
  created_at: string;
}

/** The 凭证号 a terminal's last transaction took (no row before its first); see payments/journal.repository.ts. */
export interface VoucherCounterTable {
  terminal_id: string;
  last_voucher_no: number;
}
