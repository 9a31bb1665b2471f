import type { Conn, Tx } from '../db/transaction.js';
import type { OperatorTable } from '../operators/operator.tables.js';

export async function insertOperator(conn: Conn, row: Omit<OperatorTable, 'deleted_at'>): Promise<void> {
  await conn.insertInto('operators').values(row).execute();
}

export async function findOperatorByCode(conn: Conn, terminalId: string, code: string) {
  return conn
    .selectFrom('operators')
    .selectAll()
    .where('terminal_id', '=', terminalId)
    .where('code', '=', code)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** The operator with that code, deleted or not (a deleted one is brought back by adding it again). */
export async function findAnyOperatorByCode(conn: Conn, terminalId: string, code: string) {
  return conn
    .selectFrom('operators')
    .selectAll()
    .where('terminal_id', '=', terminalId)
    .where('code', '=', code)
    .executeTakeFirst();
}

export async function markDeleted(trx: Tx, id: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('operators')
    .set({ deleted_at: at })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Brings a deleted operator back under a new password. */
export async function restoreOperator(trx: Tx, id: string, hash: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('operators')
    .set({ deleted_at: null, password_hash: hash, must_change_password: 0, password_changed_at: at })
    .where('id', '=', id)
    .where('deleted_at', 'is not', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function listOperatorRows(conn: Conn, terminalId: string) {
  return conn
    .selectFrom('operators')
    .select(['id', 'terminal_id', 'merchant_id', 'code', 'role', 'must_change_password', 'created_at'])
    .where('terminal_id', '=', terminalId)
    .where('deleted_at', 'is', null)
    .orderBy('code')
    .execute();
}

export async function findOperatorById(conn: Conn, id: string) {
  return conn.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setOperatorPassword(conn: Conn, id: string, hash: string, mustChange: boolean, at: string) {
  await conn
    .updateTable('operators')
    .set({ password_hash: hash, must_change_password: mustChange ? 1 : 0, password_changed_at: at })
    .where('id', '=', id)
    .execute();
}

/** Deletes every operator of a terminal; returns their ids. */
export async function deleteTerminalOperators(trx: Tx, terminalId: string): Promise<string[]> {
  const rows = await trx.deleteFrom('operators').where('terminal_id', '=', terminalId).returning('id').execute();
  return rows.map((r) => r.id);
}
