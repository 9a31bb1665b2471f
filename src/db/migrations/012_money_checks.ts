import type { Kysely } from 'kysely';
import { addRowChecks, dropRowChecks, type RowCheck } from '../checks.js';

// The database refuses the combinations of money columns the state tables never allow, whatever
// code writes them (issue: money safety; the reported race left a refund `processing` with
// `failure_final`). See checks.ts for how each engine enforces them.

const refundStatuses = `'pending_merchant', 'pending_acquirer', 'processing', 'succeeded', 'failed', 'rejected_by_merchant', 'rejected_by_acquirer', 'canceled'`;

const moneyChecks: readonly RowCheck[] = [
  { table: 'refunds', name: 'refunds_status_known', holds: (r) => `${r}status IN (${refundStatuses})` },
  { table: 'refunds', name: 'refunds_amount_positive', holds: (r) => `${r}amount > 0` },
  { table: 'refunds', name: 'refunds_failure_final_flag', holds: (r) => `${r}failure_final IN (0, 1)` },
  {
    table: 'refunds',
    name: 'refunds_failure_final_only_when_failed',
    holds: (r) => `${r}failure_final = 0 OR ${r}status = 'failed'`,
  },
  {
    table: 'refunds',
    name: 'refunds_failed_has_reason',
    holds: (r) => `${r}status <> 'failed' OR ${r}failure_reason IS NOT NULL`,
  },
  {
    table: 'refunds',
    name: 'refunds_succeeded_has_trace',
    holds: (r) => `${r}status <> 'succeeded' OR ${r}processor_reference IS NOT NULL`,
  },
  {
    table: 'payments',
    name: 'payments_status_known',
    holds: (r) => `${r}status IN ('approved', 'declined', 'failed', 'voided')`,
  },
  {
    table: 'payments',
    name: 'payments_captured_within_amount',
    holds: (r) => `${r}captured_amount >= 0 AND ${r}captured_amount <= ${r}amount`,
  },
  {
    table: 'payments',
    name: 'payments_voided_has_time',
    holds: (r) => `${r}status <> 'voided' OR ${r}voided_at IS NOT NULL`,
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await addRowChecks(db, moneyChecks);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropRowChecks(db, moneyChecks);
}
