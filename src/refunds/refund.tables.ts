/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface RefundTable {
  id: string;
  payment_id: string;
  merchant_id: string;
  amount: number;
  currency: string;
  reason: string;
  status: string;
  channel: string;
  note: string | null;
  failure_reason: string | null;
  processor_reference: string | null;
  created_at: string;
  updated_at: string;
  description: string | null;
  customer_email: string | null;
  customer_phone: string | null;
  customer_language: string | null;
  tracking_secret_hash: string | null;
  merchant_deadline_at: string | null;
  acquirer_review: string | null;
  decision_reason: string | null;
  dispute_id: string | null;
  /** 1 when a `failed` refund may not be retried and its reservation is released. */
  failure_final: number;
}

export interface RefundEventTable {
  id: string;
  refund_id: string;
  from_status: string | null;
  to_status: string;
  actor_kind: string;
  actor_id: string | null;
  note: string | null;
  created_at: string;
}

export interface RefundPolicyTable {
  merchant_id: string;
  window_days: number;
  partial_allowed: number;
  reasons: string;
  merchant_auto_approve_up_to: number;
  acquirer_manual_review_above: number;
  merchant_review_hours: number;
  updated_at: string;
}

export interface RefundPolicyHistoryTable {
  id: string;
  merchant_id: string;
  /** The RefundPolicy as JSON. */
  policy: string;
  effective_from: string;
  set_by: string | null;
}
