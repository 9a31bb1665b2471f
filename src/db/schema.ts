import type { AuditChainTable, AuditEventTable } from '../audit/audit.tables.js';
import type { ApiKeyTable, SessionTable, UserTable } from '../auth/auth.tables.js';
import type { BackupRunTable } from '../backups/backup.tables.js';
import type { SecretHistoryTable, SecretLockoutTable } from '../credentials/credential.tables.js';
import type {
  CaseFileShareLinkTable,
  DisputeAttachmentTable,
  DisputeCaseFileTable,
  DisputeEventTable,
  DisputeMessageTable,
  DisputeTable,
} from '../disputes/dispute.tables.js';
import type { IdempotencyKeyTable } from '../idempotency/idempotency.tables.js';
import type { JobTable } from '../jobs/job.tables.js';
import type { AcquirerTable, AgentTable, MerchantTable } from '../merchants/merchant.tables.js';
import type { NotificationTable } from '../notifications/notification.tables.js';
import type { OperatorTable } from '../operators/operator.tables.js';
import type {
  BatchTable,
  PaymentTable,
  TerminalJournalTable,
  VoucherCounterTable,
} from '../payments/payment.tables.js';
import type { RateCounterTable } from '../ratelimit/rate-limit.tables.js';
import type { RecoveryCodeTable, UnlockChallengeTable } from '../recovery/recovery.tables.js';
import type {
  RefundEventTable,
  RefundPolicyHistoryTable,
  RefundPolicyTable,
  RefundTable,
} from '../refunds/refund.tables.js';
import type { SeedRunTable } from '../seed/seed.tables.js';
import type { TerminalTable } from '../terminals/terminal.tables.js';
import type { WebhookDeliveryTable, WebhookEndpointTable } from '../webhooks/webhook.tables.js';

/**
 * Hand-kept table types, one interface per table, matching `migrations/`.
 * Timestamps are ISO 8601 UTC strings (`toISOString()`, fixed width so they sort as text) on both
 * engines; booleans are 0/1 integers; money is `amount` BIGINT of minor units + `currency` CHAR(3).
 */
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
