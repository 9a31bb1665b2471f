import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * The database refuses the combinations of money columns the state tables never allow, whatever
 * code writes them (issue: money safety; the reported race left a refund `processing` with
 * `failure_final`). PostgreSQL gets CHECK constraints. SQLite cannot add a CHECK to an existing
 * table without rebuilding it and every table that references it, so there the same predicate,
 * under the same name, is enforced by a BEFORE INSERT and a BEFORE UPDATE trigger that abort the
 * statement. Existing rows are checked as the constraints are added: a database that already
 * holds an impossible row stops here, for a person to look at, instead of being "fixed" blindly.
 */
interface Check {
  table: string;
  name: string;
  /** The predicate every row must satisfy, with `r` the prefix of its columns. */
  holds(r: string): string;
}

const refundStatuses = `'pending_merchant', 'pending_acquirer', 'processing', 'succeeded', 'failed', 'rejected_by_merchant', 'rejected_by_acquirer', 'canceled'`;

export const moneyChecks: readonly Check[] = [
  { table: 'refunds', name: 'refunds_status_known', holds: (r) => `${r}status IN (${refundStatuses})` },
  { table: 'refunds', name: 'refunds_amount_positive', holds: (r) => `${r}amount > 0` },
  { table: 'refunds', name: 'refunds_failure_final_flag', holds: (r) => `${r}failure_final IN (0, 1)` },
  {
    table: 'refunds',
    name: 'refunds_failure_final_only_when_failed',
    holds: (r) => `${r}failure_final = 0 OR ${r}status = 'failed'`,
  },
  {
    table: 'refunds',
    name: 'refunds_failed_has_reason',
    holds: (r) => `${r}status <> 'failed' OR ${r}failure_reason IS NOT NULL`,
  },
  {
    table: 'refunds',
    name: 'refunds_succeeded_has_trace',
    holds: (r) => `${r}status <> 'succeeded' OR ${r}processor_reference IS NOT NULL`,
  },
  {
    table: 'payments',
    name: 'payments_status_known',
    holds: (r) => `${r}status IN ('approved', 'declined', 'failed', 'voided')`,
  },
  {
    table: 'payments',
    name: 'payments_captured_within_amount',
    holds: (r) => `${r}captured_amount >= 0 AND ${r}captured_amount <= ${r}amount`,
  },
  {
    table: 'payments',
    name: 'payments_voided_has_time',
    holds: (r) => `${r}status <> 'voided' OR ${r}voided_at IS NOT NULL`,
  },
];

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const c of moneyChecks) {
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

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const c of moneyChecks) {
    if (isPostgres(db)) await sql.raw(`ALTER TABLE ${c.table} DROP CONSTRAINT ${c.name}`).execute(db);
    else for (const e of ['insert', 'update']) await sql.raw(`DROP TRIGGER ${c.name}_${e}`).execute(db);
  }
}
