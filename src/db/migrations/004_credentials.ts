import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';

// Password history, lockouts, recovery (agent unlock challenges, one-time codes), expiry and
// per-merchant policy overrides.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('secret_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_ref', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('secret_history_ref').on('secret_history').columns(['secret_ref', 'id']).execute();

  await db.schema
    .createTable('secret_lockouts')
    .addColumn('secret_ref', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('unlock_challenges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('terminal_id', 'text', (c) => c.notNull().references('terminals.id'))
    .addColumn('challenge', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('code_time_step', 'integer')
    .addColumn('code_issued_at', 'text')
    .addColumn('code_issued_by', 'text')
    .addColumn('used_at', 'text')
    .execute();
  await db.schema
    .createIndex('unlock_challenges_terminal')
    .on('unlock_challenges')
    .columns(['terminal_id', 'challenge'])
    .execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('recovery_codes_merchant').on('recovery_codes').columns(['merchant_id', 'id']).execute();

  await db.schema.alterTable('terminals').addColumn('unlock_secret', 'text').execute();
  await db.schema.alterTable('merchants').addColumn('password_policy', 'text').execute();
  await db.schema
    .alterTable('operators')
    .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('operators').addColumn('password_changed_at', 'text').execute();
  await db.schema.alterTable('users').addColumn('password_changed_at', 'text').execute();
  await db.schema
    .alterTable('sessions')
    .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // Terminals made before this migration get their per-terminal unlock key now.
  const t = db as Kysely<{ terminals: { id: string; unlock_secret: string | null } }>;
  for (const row of await t.selectFrom('terminals').select('id').where('unlock_secret', 'is', null).execute()) {
    await t
      .updateTable('terminals')
      .set({ unlock_secret: randomBytes(32).toString('hex') })
      .where('id', '=', row.id)
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['recovery_codes', 'unlock_challenges', 'secret_lockouts', 'secret_history']) {
    await db.schema.dropTable(t).execute();
  }
}
