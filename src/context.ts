import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Metrics } from './metrics/metrics.js';

/**
 * What a use case may need besides data: the time, the settings, the worker's wake-up, the metrics
 * it reports to. Built once per process (`openContext`). The database is not here: every service takes its connection first (`Conn` to
 * read, `Tx` to write, `Db` when it opens its own transaction) — docs/architecture.md.
 */
export interface AppContext {
  readonly clock: Clock;
  readonly config: Config;
  /** Called after a transaction that queued a job commits (`onCommit`), so the local worker wakes at once. */
  wakeWorker(): void;
  /** Where use cases report events for `/metrics` (src/metrics/): after their commit, never before. */
  readonly metrics: Metrics;
}

export function nowIso(ctx: Pick<AppContext, 'clock'>): string {
  return ctx.clock.now().toISOString();
}
