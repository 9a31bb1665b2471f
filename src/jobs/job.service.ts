import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import type { GatheredWork } from '../db/gathered.js';
import { atEndGathered, type Conn, onCommit, type Tx, transaction } from '../db/transaction.js';
import { newId } from '../ids.js';
import * as repo from './job.repository.js';
import type { JobTable } from './job.tables.js';

/**
 * The transactional outbox: a job is queued in the same transaction as the change that needs it,
 * so it exists if and only if the change committed. Workers run it at least once; handlers are
 * written to be safe to run twice (conditional transitions).
 */
export type JobHandler =
  /**
   * A step on the database alone: it runs inside the transaction that also marks its job done, so
   * the step and its completion commit together (one commit per job, and a step whose claim lapsed
   * meanwhile is rolled back rather than applied twice by two workers).
   */
  | { step: (tx: Tx, ctx: AppContext, payload: Record<string, unknown>) => Promise<void> }
  /** Work that talks to the outside world (SMTP, webhooks): it opens its own transactions. */
  | { task: (db: Db, ctx: AppContext, payload: Record<string, unknown>) => Promise<void> };

/** Every job kind's handler, by kind. */
export type JobHandlers = Readonly<Record<string, JobHandler>>;

let handlers: JobHandlers = {};

/**
 * Sets the handlers this process's workers and drains run. Called once, at start-up, with the
 * handlers every domain exports, assembled in `src/wiring.ts` (no module registers its own).
 */
export function installJobHandlers(all: JobHandlers): void {
  handlers = all;
}

/**
 * Queues a job in the caller's transaction; once that transaction commits (never if it rolls
 * back), the local worker is woken so the job runs at once. The row is written at the
 * transaction's end with the other jobs queued there (`atEndGathered`: on SQLite, the whole
 * group-commit batch's), several to a statement.
 */
export async function enqueueJob(
  trx: Tx,
  ctx: AppContext,
  kind: string,
  payload: Record<string, unknown>,
  runAt: Date = ctx.clock.now(),
): Promise<void> {
  const at = ctx.clock.now().toISOString();
  await atEndGathered(trx, jobInserts, {
    id: newId('job'),
    kind,
    payload: JSON.stringify(payload),
    run_at: runAt.toISOString(),
    attempts: 0,
    locked_by: null,
    locked_until: null,
    last_error: null,
    done_at: null,
    created_at: at,
  });
  onCommit(trx, () => ctx.wakeWorker());
}
const jobInserts: GatheredWork<JobTable> = { flush: (trx, rows) => repo.insertJobs(trx, rows) };

const LOCK_MS = 60_000;

/** The job's claim lapsed and another worker took it: this run's step is undone, not completed. */
function claimLapsed(id: string): Error {
  return new Error(`job ${id}: the claim lapsed before it completed`);
}
const MAX_ATTEMPTS = 10;

function backoffMs(attempt: number): number {
  return Math.min(2 ** attempt * 1000, 60 * 60_000);
}

/** How many of a claim's jobs run at once: their transactions then share commits (group commit). */
const LANES = 16;

/**
 * Runs the due jobs once, up to `limit`, `LANES` at a time, so that on SQLite their transactions
 * meet in one COMMIT instead of queueing one fsync each behind the requests' (a worker running one
 * job at a time fell ever further behind a steady stream of refunds). Jobs are independent steps,
 * each safe to run twice and taking its own locks. Returns how many ran. Used by the worker loop and
 * by tests directly.
 */
export async function runDueJobs(
  db: Db,
  ctx: AppContext,
  workerId: string,
  limit = 64,
  shouldStop: () => boolean = () => false,
): Promise<number> {
  const now = ctx.clock.now();
  const claimed = await transaction(db, (trx) =>
    repo.claimDueJobs(trx, workerId, now.toISOString(), new Date(now.getTime() + LOCK_MS).toISOString(), limit),
  );
  let next = 0;
  let ran = 0;
  const lane = async () => {
    // A stopping worker stops between jobs: the jobs not yet started go back, claimable at once.
    while (next < claimed.length && !shouldStop()) {
      await runJob(db, ctx, workerId, claimed[next++]);
      ran++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(LANES, claimed.length) }, lane));
  if (next < claimed.length) {
    await transaction(db, (tx) =>
      repo.unclaimJobs(
        tx,
        claimed.slice(next).map((j) => j.id),
        workerId,
      ),
    );
  }
  return ran;
}

async function runJob(
  db: Db,
  ctx: AppContext,
  workerId: string,
  job: { id: string; kind: string; payload: string; attempts: number },
): Promise<void> {
  const handler = Object.hasOwn(handlers, job.kind) ? handlers[job.kind] : undefined;
  try {
    if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
    const payload = JSON.parse(job.payload) as Record<string, unknown>;
    const complete = async (tx: Tx) => {
      if (!(await repo.completeJob(tx, job.id, workerId, ctx.clock.now().toISOString()))) throw claimLapsed(job.id);
    };
    if ('step' in handler) {
      await transaction(db, async (tx) => {
        await handler.step(tx, ctx, payload);
        await complete(tx);
      });
    } else {
      await handler.task(db, ctx, payload);
      await transaction(db, complete);
    }
  } catch (e) {
    const runAt = new Date(ctx.clock.now().getTime() + backoffMs(job.attempts)).toISOString();
    const message = e instanceof Error ? e.message : String(e);
    await transaction(db, (tx) =>
      repo.retryJob(tx, job.id, workerId, runAt, message.slice(0, 500), job.attempts >= MAX_ATTEMPTS),
    );
  }
}

/** Runs jobs until none is due; for tests and the CLI. */
export async function drainJobs(db: Db, ctx: AppContext, workerId = 'drain'): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await runDueJobs(db, ctx, workerId);
    total += n;
    if (n === 0) return total;
  }
}

export interface Worker {
  wake(): void;
  stop(): Promise<void>;
  /** False once `stop` was called (`/readyz` reports a stopped worker). */
  isRunning(): boolean;
}

/**
 * The background loop of a `serve` process: polls for due jobs (at least every `pollMs`, at once
 * when woken by a local commit), and keeps running whatever a handler throws.
 */
export function startWorker(
  db: Db,
  ctx: AppContext,
  opts: { pollMs?: number; onError?: (e: unknown) => void } = {},
): Worker {
  const workerId = `w_${randomBytes(6).toString('hex')}`;
  const pollMs = opts.pollMs ?? 250;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const tick = async () => {
    do {
      again = false;
      try {
        while (!stopped && (await runDueJobs(db, ctx, workerId, 64, () => stopped)) > 0) {}
      } catch (e) {
        opts.onError?.(e);
      }
    } while (again && !stopped);
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = tick().finally(() => {
      running = undefined;
      schedule(pollMs);
    });
  };
  schedule(0);
  return {
    wake: () => schedule(0),
    isRunning: () => !stopped,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Deletes jobs finished longer ago than `olderThanMs` (the jobs table is a queue, not a history). */
/**
 * A restored copy starts with no worker: claims that the source's workers held when the backup was
 * read are released, so the copy's own worker runs those jobs at once instead of after the lapsed
 * lock (the jobs themselves are idempotent steps, safe to run again).
 */
export function releaseClaimsAfterRestore(trx: Tx): Promise<number> {
  return repo.releaseAllClaims(trx);
}

export async function purgeFinishedJobs(tx: Tx, ctx: AppContext, olderThanMs: number): Promise<number> {
  const before = new Date(ctx.clock.now().getTime() - olderThanMs).toISOString();
  return repo.deleteFinishedBefore(tx, before);
}

/**
 * How long the oldest job waiting for a worker has been due, in ms (0 when none waits): the
 * outbox's queueing delay, the same whatever the jobs cost and however many workers drain it.
 */
export async function outboxLagMs(conn: Conn, now: Date): Promise<number> {
  const oldest = await repo.oldestWaitingRunAt(conn, now.toISOString());
  return oldest ? Math.max(0, now.getTime() - new Date(oldest).getTime()) : 0;
}

/** How many jobs wait for a worker now, counted up to `cap` (admission control's measure). */
export function jobsWaiting(conn: Conn, now: Date, cap: number): Promise<number> {
  return repo.countWaiting(conn, now.toISOString(), cap);
}

/** The outbox's backlog: jobs due and not yet done, and jobs waiting for their time (retries, deadlines). */
export function jobBacklog(conn: Conn, now: Date): Promise<{ due: number; scheduled: number }> {
  return repo.countUnfinished(conn, now.toISOString());
}
