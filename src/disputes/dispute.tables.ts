/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
/** src/disputes/ (migration 007). `access_secret_hash`: SHA-256 of a payment dispute's random secret. */
export interface DisputeTable {
  id: string;
  merchant_id: string;
  payment_id: string;
  refund_id: string | null;
  status: string;
  outcome: string | null;
  reason: string;
  description: string;
  customer_email: string | null;
  customer_phone: string | null;
  customer_language: string;
  access_secret_hash: string | null;
  escalated_at: string | null;
  escalation_reason: string | null;
  mediation_due_at: string | null;
  ruling_outcome: string | null;
  ruling: string | null;
  ruled_by: string | null;
  ruled_at: string | null;
  ruling_amount: number | null;
  forced_refund_id: string | null;
  force_claimed_until: string | null;
  referred_at: string | null;
  closed_at: string | null;
  rating: number | null;
  rating_comment: string | null;
  rated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface DisputeEventTable {
  id: string;
  dispute_id: string;
  kind: string;
  from_status: string | null;
  to_status: string;
  actor_kind: string;
  actor_id: string | null;
  note: string | null;
  created_at: string;
}

export interface DisputeMessageTable {
  id: string;
  dispute_id: string;
  author_party: string;
  author_kind: string;
  author_id: string | null;
  body: string;
  created_at: string;
}

export interface DisputeAttachmentTable {
  id: string;
  dispute_id: string;
  message_id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  data: Buffer;
  created_at: string;
}

export interface DisputeCaseFileTable {
  id: string;
  dispute_id: string;
  sha256: string;
  content: string;
  created_at: string;
}

/** `token_hash`: SHA-256 of a 256-bit random token; the token itself is shown once. */
export interface CaseFileShareLinkTable {
  id: string;
  dispute_id: string;
  case_file_id: string;
  token_hash: string;
  created_by_kind: string;
  created_by_id: string | null;
  created_at: string;
  expires_at: string;
}
