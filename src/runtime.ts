import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { type ConnectOptions, connect, type Db } from './db/connect.js';
import { committerOf } from './db/group-commit.js';
import { migrateToLatest } from './db/migrate.js';
import { observeTransactions } from './db/transaction.js';
import { installJobHandlers, startWorker, type Worker } from './jobs/job.service.js';
import { registerDatabaseGauges } from './metrics/db-gauges.js';
import { createMetrics } from './metrics/metrics.js';
import { jobHandlers } from './wiring.js';

export type ProcessContext = AppContext & { worker?: Worker };

/** A process's two halves: its database and everything else (clock, settings, wake-ups). */
export interface Runtime {
  db: Db;
  ctx: ProcessContext;
}

/**
 * Opens the database, migrates it, and wires the context; the worker is started separately. The
 * metrics are wired here, in one place: the registry (one per context), the transaction observer,
 * and the gauges read from the database at scrape time; `buildApp` adds the HTTP histogram.
 */
export async function openContext(
  config: Config,
  clock: Clock = systemClock,
  options: Pick<ConnectOptions, 'onQuery'> = {},
): Promise<Runtime> {
  installJobHandlers(jobHandlers);
  const db = connect(config.databaseUrl, {
    groupCommit: config.groupCommit,
    namedStatements: config.pgNamedStatements,
    ...options,
  });
  await migrateToLatest(db);
  const metrics = createMetrics();
  observeTransactions(db, metrics.transactionEnded);
  if (db.groupCommit) committerOf(db).observer = metrics.batchCommitted;
  registerDatabaseGauges(metrics.registry, db, clock);
  const ctx: ProcessContext = {
    clock,
    config,
    wakeWorker: () => ctx.worker?.wake(),
    metrics,
  };
  return { db, ctx };
}

export function attachWorker({ db, ctx }: Runtime, onError?: (e: unknown) => void): Worker {
  ctx.worker = startWorker(db, ctx, { onError });
  return ctx.worker;
}

/** The worker of this process: running, stopped (or never started though configured), or off on purpose (`WORKER=off`). */
export function workerState(ctx: ProcessContext): 'running' | 'stopped' | 'disabled' {
  if (!ctx.config.worker) return 'disabled';
  return ctx.worker?.isRunning() ? 'running' : 'stopped';
}
