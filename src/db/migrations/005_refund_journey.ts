import type { Kysely } from 'kysely';

// The customer's side of refunds: public requests with a tracking secret, merchant policy and
// review deadlines, the acquirer's manual queue, and fixed-window rate-limit counters.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('refund_policies')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references('merchants.id'))
    .addColumn('window_days', 'integer', (c) => c.notNull())
    .addColumn('partial_allowed', 'integer', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('merchant_auto_approve_up_to', 'bigint', (c) => c.notNull())
    .addColumn('acquirer_manual_review_above', 'bigint', (c) => c.notNull())
    .addColumn('merchant_review_hours', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('refunds').addColumn('description', 'text').execute();
  await db.schema.alterTable('refunds').addColumn('customer_email', 'text').execute();
  await db.schema.alterTable('refunds').addColumn('customer_phone', 'text').execute();
  await db.schema.alterTable('refunds').addColumn('customer_language', 'text').execute();
  await db.schema.alterTable('refunds').addColumn('tracking_secret_hash', 'text').execute();
  await db.schema.alterTable('refunds').addColumn('merchant_deadline_at', 'text').execute();
  await db.schema.alterTable('refunds').addColumn('acquirer_review', 'text').execute();
  await db.schema.alterTable('refunds').addColumn('decision_reason', 'text').execute();
  await db.schema.alterTable('refunds').addColumn('dispute_id', 'text').execute();
  await db.schema.createIndex('refunds_acquirer_queue').on('refunds').columns(['status', 'acquirer_review']).execute();
  await db.schema
    .alterTable('payments')
    .addColumn('flagged', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('rate_counters')
    .addColumn('bucket', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_counters').execute();
  await db.schema.dropTable('refund_policies').execute();
}
