import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { connect, type Db } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { startWorker, type Worker } from './jobs/job.service.js';
// Domains register their job handlers when imported.
import './disputes/dispute.service.js';
import './notifications/notification.service.js';
import './refunds/refund-review.service.js';
import './webhooks/webhook.service.js';

export type ProcessContext = AppContext & { worker?: Worker };

/** A process's two halves: its database and everything else (clock, settings, wake-ups). */
export interface Runtime {
  db: Db;
  ctx: ProcessContext;
}

/** Opens the database, migrates it, and wires the context; the worker is started separately. */
export async function openContext(config: Config, clock: Clock = systemClock): Promise<Runtime> {
  const db = connect(config.databaseUrl);
  await migrateToLatest(db);
  const ctx: ProcessContext = {
    db,
    clock,
    config,
    wakeWorker: () => ctx.worker?.wake(),
  };
  return { db, ctx };
}

export function attachWorker({ ctx }: Runtime, onError?: (e: unknown) => void): Worker {
  ctx.worker = startWorker(ctx, { onError });
  return ctx.worker;
}
