import type { UserTable } from '../auth/auth.tables.js';
import type { Conn } from '../db/transaction.js';

export async function insertUser(conn: Conn, row: UserTable): Promise<void> {
  await conn.insertInto('users').values(row).execute();
}

export async function findUserByEmail(conn: Conn, email: string): Promise<UserTable | undefined> {
  return conn.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUserById(conn: Conn, id: string): Promise<UserTable | undefined> {
  return conn.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setUserPassword(conn: Conn, id: string, hash: string, at: string): Promise<void> {
  await conn.updateTable('users').set({ password_hash: hash, password_changed_at: at }).where('id', '=', id).execute();
}
