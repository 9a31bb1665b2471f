import SqliteDatabase from 'better-sqlite3';

/** A better-sqlite3 handle with the pragmas src/db/connect.ts sets, so commits pay the same fsync. */
export function openLikeRefundDesk(file: string): SqliteDatabase.Database {
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
