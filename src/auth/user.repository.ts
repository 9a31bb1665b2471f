import type { UserTable } from '../db/schema.js';
import type { Conn } from '../db/transaction.js';

export async function insertUser(conn: Conn, row: UserTable): Promise<void> {
  await conn.insertInto('users').values(row).execute();
}

export async function findUserByEmail(conn: Conn, email: string): Promise<UserTable | undefined> {
  return conn.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}
