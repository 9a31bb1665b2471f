/**
 * Hand-kept table types, one interface per table, matching `migrations/`.
 * Timestamps are ISO 8601 UTC strings (`toISOString()`, fixed width so they sort as text) on both
 * engines; booleans are 0/1 integers; money is `amount` BIGINT of minor units + `currency` CHAR(3).
 */
export interface AcquirerTable {
  id: string;
  name: string;
  created_at: string;
}

export interface AgentTable {
  id: string;
  name: string;
  created_at: string;
}

export interface MerchantTable {
  id: string;
  name: string;
  acquirer_id: string;
  currency: string;
  language: string;
  email: string | null;
  phone: string | null;
  refund_password_hash: string | null;
  refund_password_changed_at: string | null;
  password_policy: string | null;
  created_at: string;
  /** 商户编号: 15 digits, unique (migration 021). */
  merchant_no: string;
}

export interface TerminalTable {
  id: string;
  serial: string;
  merchant_id: string;
  agent_id: string;
  status: string;
  unlock_secret: string | null;
  created_at: string;
  /** 终端编号: 8 digits, unique (migration 021). */
  terminal_no: string;
}

export interface OperatorTable {
  id: string;
  terminal_id: string;
  merchant_id: string;
  code: string;
  role: string;
  password_hash: string;
  must_change_password: number;
  password_changed_at: string | null;
  created_at: string;
  /** Set by 柜员管理 → 删除 (migration 022): the operator can no longer sign on. */
  deleted_at: string | null;
}

export interface UserTable {
  id: string;
  email: string;
  name: string;
  role: string;
  password_hash: string;
  merchant_id: string | null;
  acquirer_id: string | null;
  agent_id: string | null;
  password_changed_at: string | null;
  created_at: string;
}

export interface SessionTable {
  id: string;
  token_hash: string;
  principal_kind: string;
  principal_id: string;
  role: string;
  merchant_id: string | null;
  terminal_id: string | null;
  acquirer_id: string | null;
  agent_id: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  must_change_password: number;
}

export interface ApiKeyTable {
  id: string;
  merchant_id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  scopes: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

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

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: string;
}

export interface JobTable {
  id: string;
  kind: string;
  payload: string;
  run_at: string;
  attempts: number;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  done_at: string | null;
  created_at: string;
}

export interface SecretHistoryTable {
  id: string;
  secret_ref: string;
  hash: string;
  created_at: string;
}

export interface SecretLockoutTable {
  secret_ref: string;
  failures: number;
  locked_until: string | null;
  updated_at: string;
}

export interface UnlockChallengeTable {
  id: string;
  terminal_id: string;
  challenge: string;
  source: string;
  created_at: string;
  expires_at: string;
  code_time_step: number | null;
  code_issued_at: string | null;
  code_issued_by: string | null;
  used_at: string | null;
}

export interface RecoveryCodeTable {
  id: string;
  merchant_id: string;
  channel: string;
  code_hash: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Append-only, hash-chained (src/audit/). `chain` is a merchant id or 'platform'. */
export interface AuditEventTable {
  id: string;
  chain: string;
  seq: number;
  at: string;
  actor_kind: string;
  actor_id: string | null;
  action: string;
  outcome: string;
  object_type: string | null;
  object_id: string | null;
  terminal_id: string | null;
  ip: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** src/notifications/: `subject`/`body` are masked copies; `render_data` (sealed under the server key) exists only while a secret-bearing message waits or stays in the local outbox. */
export interface NotificationTable {
  id: string;
  merchant_id: string | null;
  channel: string;
  recipient: string;
  template: string;
  language: string;
  subject: string;
  body: string;
  render_data: string | null;
  dedupe_key: string;
  status: string;
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
  sending_until: string | null;
  created_at: string;
  sent_at: string | null;
}

/** One row per audit chain: its head, on which appends to that chain serialise. */
export interface AuditChainTable {
  chain: string;
  last_seq: number;
  last_hash: string;
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

export interface SeedRunTable {
  name: string;
  started_at: string;
  completed_at: string | null;
}

export interface RateCounterTable {
  bucket: string;
  window_start: string;
  count: number;
}

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

export interface WebhookEndpointTable {
  id: string;
  merchant_id: string;
  url: string;
  description: string | null;
  events: string;
  secret_ciphertext: string | null;
  enabled: number;
  created_at: string;
  deleted_at: string | null;
}

export interface WebhookDeliveryTable {
  id: string;
  endpoint_id: string;
  merchant_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  sending_until: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** src/backups/ (migration 020): one row per backup run; `slot` is unique per scheduled interval. */
export interface BackupRunTable {
  id: string;
  trigger: string;
  slot: string | null;
  status: string;
  file: string | null;
  bytes: number | null;
  encrypted: number;
  verified: number;
  error: string | null;
  requested_by: string | null;
  started_at: string;
  finished_at: string | null;
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

export interface Database {
  voucher_counters: VoucherCounterTable;
  terminal_journal: TerminalJournalTable;
  backup_runs: BackupRunTable;
  disputes: DisputeTable;
  dispute_events: DisputeEventTable;
  dispute_messages: DisputeMessageTable;
  dispute_attachments: DisputeAttachmentTable;
  dispute_case_files: DisputeCaseFileTable;
  case_file_share_links: CaseFileShareLinkTable;
  acquirers: AcquirerTable;
  agents: AgentTable;
  merchants: MerchantTable;
  terminals: TerminalTable;
  operators: OperatorTable;
  users: UserTable;
  sessions: SessionTable;
  api_keys: ApiKeyTable;
  batches: BatchTable;
  payments: PaymentTable;
  refunds: RefundTable;
  refund_events: RefundEventTable;
  idempotency_keys: IdempotencyKeyTable;
  jobs: JobTable;
  refund_policies: RefundPolicyTable;
  refund_policy_history: RefundPolicyHistoryTable;
  rate_counters: RateCounterTable;
  seed_runs: SeedRunTable;
  audit_events: AuditEventTable;
  audit_chains: AuditChainTable;
  secret_history: SecretHistoryTable;
  secret_lockouts: SecretLockoutTable;
  unlock_challenges: UnlockChallengeTable;
  recovery_codes: RecoveryCodeTable;
  notifications: NotificationTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_deliveries: WebhookDeliveryTable;
}
