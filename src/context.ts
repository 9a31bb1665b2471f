import type { Clock } from './clock.js';
import type { Config } from './config.js';

/**
 * What a use case may need besides data: the time, the settings, the worker's wake-up. Built once
 * per process. The database is not here: every service takes its connection first (`Conn` to
 * read, `Tx` to write, `Db` when it opens its own transaction) — docs/architecture.md.
 */
export interface AppContext {
  readonly clock: Clock;
  readonly config: Config;
  /** Called after a transaction that queued a job commits (`onCommit`), so the local worker wakes at once. */
  wakeWorker(): void;
}

export function nowIso(ctx: Pick<AppContext, 'clock'>): string {
  return ctx.clock.now().toISOString();
}
