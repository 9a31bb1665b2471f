import type { OperatorTable } from '../db/schema.js';
import type { Conn } from '../db/transaction.js';

export async function insertOperator(conn: Conn, row: OperatorTable): Promise<void> {
  await conn.insertInto('operators').values(row).execute();
}

export async function findOperatorByCode(conn: Conn, terminalId: string, code: string) {
  return conn
    .selectFrom('operators')
    .selectAll()
    .where('terminal_id', '=', terminalId)
    .where('code', '=', code)
    .executeTakeFirst();
}

export async function listOperatorRows(conn: Conn, terminalId: string) {
  return conn
    .selectFrom('operators')
    .select(['id', 'terminal_id', 'merchant_id', 'code', 'role', 'created_at'])
    .where('terminal_id', '=', terminalId)
    .orderBy('code')
    .execute();
}
