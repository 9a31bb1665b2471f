import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';

/** What every use case may need: the database, the time, the settings. Built once per process. */
export interface AppContext {
  readonly db: Db;
  readonly clock: Clock;
  readonly config: Config;
  /** Called after a transaction that queued a job commits, so the local worker wakes at once. */
  wakeWorker(): void;
}

export function nowIso(ctx: Pick<AppContext, 'clock'>): string {
  return ctx.clock.now().toISOString();
}
