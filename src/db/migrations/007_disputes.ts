import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Disputes (src/disputes/): the dispute itself, its timeline, the customer ↔ merchant thread with
// small attachments (bytes kept in the database, so backups carry the evidence), the case files
// frozen at referral and the expiring links that let a third party read them.
export async function up(db: Kysely<unknown>): Promise<void> {
  const binary = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';

  await db.schema
    .createTable('disputes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('refund_id', 'text', (c) => c.references('refunds.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('customer_email', 'text')
    .addColumn('customer_phone', 'text')
    .addColumn('customer_language', 'text', (c) => c.notNull())
    // Payment disputes only: SHA-256 of the customer's random access secret (refund disputes use
    // the refund's tracking secret).
    .addColumn('access_secret_hash', 'text')
    .addColumn('escalated_at', 'text')
    .addColumn('escalation_reason', 'text')
    .addColumn('mediation_due_at', 'text')
    .addColumn('ruling_outcome', 'text')
    .addColumn('ruling', 'text')
    .addColumn('ruled_by', 'text')
    .addColumn('ruled_at', 'text')
    .addColumn('ruling_amount', 'bigint')
    .addColumn('forced_refund_id', 'text')
    .addColumn('force_claimed_until', 'text')
    .addColumn('referred_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('rating', 'integer')
    .addColumn('rating_comment', 'text')
    .addColumn('rated_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // One dispute that is not closed per payment: the database, not a read-then-write, is the guard.
  await db.schema
    .createIndex('disputes_one_open_per_payment')
    .on('disputes')
    .column('payment_id')
    .unique()
    .where(sql.ref('status'), '<>', 'closed')
    .execute();
  await db.schema.createIndex('disputes_merchant').on('disputes').columns(['merchant_id', 'id']).execute();
  await db.schema.createIndex('disputes_refund').on('disputes').column('refund_id').execute();

  await db.schema
    .createTable('dispute_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dispute_id', 'text', (c) => c.notNull().references('disputes.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('note', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dispute_events_dispute').on('dispute_events').columns(['dispute_id', 'id']).execute();

  await db.schema
    .createTable('dispute_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dispute_id', 'text', (c) => c.notNull().references('disputes.id'))
    .addColumn('author_party', 'text', (c) => c.notNull())
    .addColumn('author_kind', 'text', (c) => c.notNull())
    .addColumn('author_id', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('dispute_messages_dispute')
    .on('dispute_messages')
    .columns(['dispute_id', 'id'])
    .execute();

  await db.schema
    .createTable('dispute_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dispute_id', 'text', (c) => c.notNull().references('disputes.id'))
    .addColumn('message_id', 'text', (c) => c.notNull().references('dispute_messages.id'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('data', binary, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('dispute_attachments_message')
    .on('dispute_attachments')
    .columns(['message_id', 'id'])
    .execute();

  await db.schema
    .createTable('dispute_case_files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dispute_id', 'text', (c) => c.notNull().references('disputes.id'))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('dispute_case_files_dispute')
    .on('dispute_case_files')
    .columns(['dispute_id', 'id'])
    .execute();

  await db.schema
    .createTable('case_file_share_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dispute_id', 'text', (c) => c.notNull().references('disputes.id'))
    .addColumn('case_file_id', 'text', (c) => c.notNull().references('dispute_case_files.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by_kind', 'text', (c) => c.notNull())
    .addColumn('created_by_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'case_file_share_links',
    'dispute_case_files',
    'dispute_attachments',
    'dispute_messages',
    'dispute_events',
    'disputes',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
