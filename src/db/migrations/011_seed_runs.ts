import type { Kysely } from 'kysely';

// One row per seed (the demo): claimed before seeding, completed after, so that two processes
// starting on one empty database seed it once, and a seed cut off half-way is noticed, not mistaken
// for a finished one.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('seed_runs')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('seed_runs').execute();
}
