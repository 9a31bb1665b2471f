import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { connect, type Db } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { installJobHandlers, startWorker, type Worker } from './jobs/job.service.js';
import { jobHandlers } from './wiring.js';

export type ProcessContext = AppContext & { worker?: Worker };

/** A process's two halves: its database and everything else (clock, settings, wake-ups). */
export interface Runtime {
  db: Db;
  ctx: ProcessContext;
}

/** Opens the database, migrates it, and wires the context; the worker is started separately. */
export async function openContext(config: Config, clock: Clock = systemClock): Promise<Runtime> {
  installJobHandlers(jobHandlers);
  const db = connect(config.databaseUrl);
  await migrateToLatest(db);
  const ctx: ProcessContext = {
    clock,
    config,
    wakeWorker: () => ctx.worker?.wake(),
  };
  return { db, ctx };
}

export function attachWorker({ db, ctx }: Runtime, onError?: (e: unknown) => void): Worker {
  ctx.worker = startWorker(db, ctx, { onError });
  return ctx.worker;
}
