import type { ExpressionBuilder } from 'kysely';
import { insertRows, prepare } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { type Conn, hasRowLocks, type Tx } from '../db/transaction.js';
import type { JobTable } from '../jobs/job.tables.js';

/**
 * A job that waits for a worker at `now`: not done, due, and unclaimed or its claim lapsed. The one
 * definition the worker's claim, admission control's count and the lag gauge share.
 */
const waitingAt = (now: string) => (eb: ExpressionBuilder<Database, 'jobs'>) =>
  eb.and([
    eb('done_at', 'is', null),
    eb('run_at', '<=', now),
    eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]),
  ]);

export async function insertJobs(trx: Tx, rows: readonly JobTable[]): Promise<void> {
  await insertRows(trx, 'jobs', rows);
}

/**
 * Claims up to `limit` due jobs for `workerId` until `lockUntil`. On PostgreSQL several processes
 * claim concurrently with FOR UPDATE SKIP LOCKED; on SQLite the transaction's write lock serialises
 * claimers. A claimed job whose worker died is claimable again once its lock lapses.
 */
export async function claimDueJobs(
  trx: Tx,
  workerId: string,
  now: string,
  lockUntil: string,
  limit: number,
): Promise<Array<Pick<JobTable, 'id' | 'kind' | 'payload' | 'attempts'>>> {
  let q = trx
    .selectFrom('jobs')
    .select(['id', 'kind', 'payload', 'attempts'])
    .where(waitingAt(now))
    .orderBy('run_at')
    .limit(limit);
  if (hasRowLocks(trx)) q = q.forUpdate().skipLocked();
  const due = await q.execute();
  if (due.length === 0) return [];
  await trx
    .updateTable('jobs')
    .set((eb) => ({ locked_by: workerId, locked_until: lockUntil, attempts: eb('attempts', '+', 1) }))
    .where(
      'id',
      'in',
      due.map((j) => j.id),
    )
    .execute();
  return due.map((j) => ({ ...j, attempts: j.attempts + 1 }));
}

/** Marks a claimed job done; false when the claim is no longer this worker's. */
export async function completeJob(conn: Conn, id: string, workerId: string, at: string): Promise<boolean> {
  return (await jobCompleted.changed(conn, { id, workerId, at })) === 1;
}
const jobCompleted = prepare((c, v: { id: string; workerId: string; at: string }) =>
  c
    .updateTable('jobs')
    .set({ done_at: v.at, locked_until: null })
    .where('id', '=', v.id)
    .where('locked_by', '=', v.workerId),
);

export async function retryJob(
  conn: Conn,
  id: string,
  workerId: string,
  runAt: string,
  error: string,
  giveUp: boolean,
) {
  await conn
    .updateTable('jobs')
    .set({ run_at: runAt, locked_until: null, last_error: error, done_at: giveUp ? runAt : null })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .execute();
}

/** Gives claimed jobs back unrun (a worker stopping mid-batch): claimable at once, the attempt not counted. */
export async function unclaimJobs(conn: Conn, ids: string[], workerId: string): Promise<void> {
  if (ids.length === 0) return;
  await conn
    .updateTable('jobs')
    .set((eb) => ({ locked_by: null, locked_until: null, attempts: eb('attempts', '-', 1) }))
    .where('id', 'in', ids)
    .where('locked_by', '=', workerId)
    .where('done_at', 'is', null)
    .execute();
}

/** Forgets every claim on an unfinished job (no worker of a freshly restored database holds one). */
export async function releaseAllClaims(trx: Tx): Promise<number> {
  const r = await trx
    .updateTable('jobs')
    .set({ locked_by: null, locked_until: null })
    .where('done_at', 'is', null)
    .where('locked_until', 'is not', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function deleteFinishedBefore(conn: Conn, before: string): Promise<number> {
  const r = await conn
    .deleteFrom('jobs')
    .where('done_at', 'is not', null)
    .where('done_at', '<', before)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * When the oldest job that is due and waits for a worker (unclaimed, or its claim lapsed) was due;
 * undefined when none waits. One step down the `jobs_due` index (done_at, run_at).
 */
export async function oldestWaitingRunAt(conn: Conn, now: string): Promise<string | undefined> {
  const row = await conn
    .selectFrom('jobs')
    .select('run_at')
    .where(waitingAt(now))
    .orderBy('run_at')
    .limit(1)
    .executeTakeFirst();
  return row?.run_at;
}

/**
 * How many jobs are due and wait for a worker (unclaimed, or their claim lapsed), counted up to
 * `cap` at most: a read bounded by the cap however deep the outbox is.
 */
export async function countWaiting(conn: Conn, now: string, cap: number): Promise<number> {
  const row = await conn
    .selectFrom((eb) => eb.selectFrom('jobs').select('id').where(waitingAt(now)).limit(cap).as('waiting'))
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Unfinished jobs: due now, and scheduled for later (the `jobs_due` index: done_at, run_at). */
export async function countUnfinished(conn: Conn, now: string): Promise<{ due: number; scheduled: number }> {
  const count = (op: '<=' | '>') =>
    conn
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('done_at', 'is', null)
      .where('run_at', op, now)
      .executeTakeFirstOrThrow();
  const [due, scheduled] = await Promise.all([count('<='), count('>')]);
  return { due: Number(due.n), scheduled: Number(scheduled.n) };
}
