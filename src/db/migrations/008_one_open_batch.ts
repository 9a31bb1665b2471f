import { type Kysely, sql } from 'kysely';

// At most one open settlement batch per terminal, enforced by the database: two sales racing to
// open the next batch after a settlement must end up in the same one.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('batches_one_open_per_terminal')
    .on('batches')
    .column('terminal_id')
    .unique()
    .where(sql.ref('status'), '=', 'open')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('batches_one_open_per_terminal').execute();
}
