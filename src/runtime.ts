import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { connect } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { startWorker, type Worker } from './jobs/job.service.js';
// Domains register their job handlers when imported.
import './disputes/dispute.handlers.js';
import './notifications/notification.service.js';
import './refunds/refund-review.service.js';
import './webhooks/webhook.service.js';

/** Opens the database, migrates it, and wires the context; the worker is started separately. */
export async function openContext(
  config: Config,
  clock: Clock = systemClock,
): Promise<AppContext & { worker?: Worker }> {
  const db = connect(config.databaseUrl);
  await migrateToLatest(db);
  const ctx: AppContext & { worker?: Worker } = {
    db,
    clock,
    config,
    wakeWorker: () => ctx.worker?.wake(),
  };
  return ctx;
}

export function attachWorker(ctx: AppContext & { worker?: Worker }, onError?: (e: unknown) => void): Worker {
  ctx.worker = startWorker(ctx, { onError });
  return ctx.worker;
}
