import type { Kysely } from 'kysely';

// 柜员管理 → 删除 is a soft delete: the operator's row stays (its slips keep their operator no.),
// `deleted_at` bars its sign-on, and adding the same code again brings the row back with a new password.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operators').addColumn('deleted_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operators').dropColumn('deleted_at').execute();
}
