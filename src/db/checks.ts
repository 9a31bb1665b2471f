import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * A rule every row of a table satisfies, enforced by the database whatever code writes the row:
 * a CHECK constraint on PostgreSQL. SQLite cannot add a CHECK to an existing table without
 * rebuilding it and every table that references it, so there the same predicate, under the same
 * name, is a BEFORE INSERT and a BEFORE UPDATE trigger that aborts the statement. Existing rows are
 * checked as the rule is added: a database that already holds a row breaking it stops the
 * migration, for a person to look at, instead of being "fixed" blindly.
 */
export interface RowCheck {
  table: string;
  name: string;
  /** The predicate, with `r` the prefix of its columns (`''`, or `'NEW.'` in a trigger). */
  holds(r: string): string;
}

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function addRowChecks(db: Kysely<unknown>, checks: readonly RowCheck[]): Promise<void> {
  for (const c of checks) {
    if (isPostgres(db)) {
      await sql.raw(`ALTER TABLE ${c.table} ADD CONSTRAINT ${c.name} CHECK (${c.holds('')})`).execute(db);
      continue;
    }
    const bad = await sql
      .raw<{ n: number }>(`SELECT count(*) AS n FROM ${c.table} WHERE NOT (${c.holds('')})`)
      .execute(db);
    if (Number(bad.rows[0]?.n) > 0) throw new Error(`check constraint "${c.name}" is violated by some row`);
    for (const event of ['INSERT', 'UPDATE']) {
      await sql
        .raw(
          `CREATE TRIGGER ${c.name}_${event.toLowerCase()} BEFORE ${event} ON ${c.table}
           WHEN NOT (${c.holds('NEW.')})
           BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ${c.name}'); END`,
        )
        .execute(db);
    }
  }
}

export async function dropRowChecks(db: Kysely<unknown>, checks: readonly RowCheck[]): Promise<void> {
  for (const c of checks) {
    if (isPostgres(db)) await sql.raw(`ALTER TABLE ${c.table} DROP CONSTRAINT ${c.name}`).execute(db);
    else for (const e of ['insert', 'update']) await sql.raw(`DROP TRIGGER ${c.name}_${e}`).execute(db);
  }
}
