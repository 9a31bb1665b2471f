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
}

export interface TerminalTable {
  id: string;
  serial: string;
  merchant_id: string;
  agent_id: string;
  status: string;
  unlock_secret: string | null;
  created_at: string;
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
  created_at: string;
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

/** src/notifications/: `subject`/`body` are masked copies; `render_data` exists only while a secret-bearing message waits. */
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

export interface Database {
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
  audit_events: AuditEventTable;
  audit_chains: AuditChainTable;
  secret_history: SecretHistoryTable;
  secret_lockouts: SecretLockoutTable;
  unlock_challenges: UnlockChallengeTable;
  recovery_codes: RecoveryCodeTable;
  notifications: NotificationTable;
}
