import { type Kysely, sql } from 'kysely';

// A failed refund keeps its reservation while it may still be retried; only a final failure (a
// permanent reason, or the last allowed attempt) releases it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('refunds')
    .addColumn('failure_final', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Failures from before this migration released their amount: they stay released.
  await sql`update refunds set failure_final = 1 where status = 'failed'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('refunds').dropColumn('failure_final').execute();
}
