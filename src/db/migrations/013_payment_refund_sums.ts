import { type Kysely, sql } from 'kysely';
import { addRowChecks, dropRowChecks, type RowCheck } from '../checks.js';

// What is refunded and what is still reserved against a payment live on the payment row, changed
// only by `payments.moveRefundAmounts` inside the refund's transaction (under the payment lock):
// a payment reads without a SUM over its refunds, and the database itself refuses a row whose
// refunds exceed what was captured and not voided (invariant 1).
const sums: readonly RowCheck[] = [
  {
    table: 'payments',
    name: 'payments_refund_sums_within_captured',
    holds: (r) =>
      `${r}refunded_amount >= 0 AND ${r}reserved_amount >= 0 AND ${r}refunded_amount + ${r}reserved_amount <= CASE WHEN ${r}status = 'voided' THEN 0 ELSE ${r}captured_amount END`,
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('payments')
    .addColumn('refunded_amount', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('payments')
    .addColumn('reserved_amount', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await backfillRefundSums(db);
  await addRowChecks(db, sums);
}

/** Sets both sums of every payment from its refund rows (exported for its test). */
export async function backfillRefundSums(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE payments SET
      refunded_amount = COALESCE((
        SELECT SUM(r.amount) FROM refunds r WHERE r.payment_id = payments.id AND r.status = 'succeeded'
      ), 0),
      reserved_amount = COALESCE((
        SELECT SUM(r.amount) FROM refunds r WHERE r.payment_id = payments.id
          AND (r.status IN ('pending_merchant', 'pending_acquirer', 'processing')
               OR (r.status = 'failed' AND r.failure_final = 0))
      ), 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropRowChecks(db, sums);
  await db.schema.alterTable('payments').dropColumn('reserved_amount').execute();
  await db.schema.alterTable('payments').dropColumn('refunded_amount').execute();
}
