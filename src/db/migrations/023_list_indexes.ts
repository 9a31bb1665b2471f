import type { Kysely } from 'kysely';

// Lists stay indexed as history grows (test/invariants/query-plans.test.ts reads every plan): a
// terminal's payments newest first (撤销's pick list, an operator's look-ups) walked the whole
// payments table in id order to find that terminal's; a dispute's attachments were found by a scan.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('payments_terminal_id').on('payments').columns(['terminal_id', 'id']).execute();
  await db.schema.createIndex('dispute_attachments_dispute').on('dispute_attachments').column('dispute_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('dispute_attachments_dispute').execute();
  await db.schema.dropIndex('payments_terminal_id').execute();
}
