import type { Conn } from '../db/transaction.js';

/** Claims a seed: true for the one process that inserted its row, false when it already existed. */
export async function claimSeed(conn: Conn, name: string, at: string): Promise<boolean> {
  const r = await conn
    .insertInto('seed_runs')
    .values({ name, started_at: at, completed_at: null })
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function completeSeed(conn: Conn, name: string, at: string): Promise<void> {
  await conn.updateTable('seed_runs').set({ completed_at: at }).where('name', '=', name).execute();
}

export async function findSeed(conn: Conn, name: string) {
  return conn.selectFrom('seed_runs').selectAll().where('name', '=', name).executeTakeFirst();
}
