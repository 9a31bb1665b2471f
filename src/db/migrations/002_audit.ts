import type { Kysely } from 'kysely';

// The audit log (src/audit/). `audit_events` is append-only: the application never updates or
// deletes a row. `audit_chains` holds each chain's head; appends to one chain serialise on its head
// row, so merchants never queue behind each other.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('chain', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text')
    .addColumn('object_id', 'text')
    .addColumn('terminal_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'char(64)', (c) => c.notNull())
    .addColumn('hash', 'char(64)', (c) => c.notNull())
    .addUniqueConstraint('audit_events_chain_seq', ['chain', 'seq'])
    .execute();
  await db.schema.createIndex('audit_events_chain_id').on('audit_events').columns(['chain', 'id']).execute();
  await db.schema.createIndex('audit_events_object_id').on('audit_events').columns(['object_id', 'id']).execute();

  await db.schema
    .createTable('audit_chains')
    .addColumn('chain', 'text', (c) => c.primaryKey())
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    .addColumn('last_hash', 'char(64)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_chains').execute();
  await db.schema.dropTable('audit_events').execute();
}
