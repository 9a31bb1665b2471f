import type { Kysely } from 'kysely';

// Every refund policy a merchant set, from when it applied, so that a dispute's case file shows the
// rules in force when the refund was asked for, not today's. Append-only.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('refund_policy_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('effective_from', 'text', (c) => c.notNull())
    .addColumn('set_by', 'text')
    .execute();
  await db.schema
    .createIndex('refund_policy_history_merchant')
    .on('refund_policy_history')
    .columns(['merchant_id', 'effective_from'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('refund_policy_history').execute();
}
