import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { drainJobs } from '../../src/jobs/job.service.js';
import { openContext } from '../../src/runtime.js';

/**
 * The money checker's second worker on PostgreSQL: a process of its own, with its own connection
 * pool, claiming jobs from the same table as the test's worker. The test sends it the time of its
 * injected clock with each request to run, so deadlines fire here as they do there.
 */
const [databaseUrl, settings] = process.argv.slice(2);
const clock = new ManualClock();
const { db, ctx } = await openContext(
  { ...loadConfig({}), ...JSON.parse(settings), databaseUrl, worker: false },
  clock,
);

process.on('message', async (m: { id: number; now: string }) => {
  clock.set(m.now);
  try {
    process.send?.({ id: m.id, ran: await drainJobs(db, ctx, 'second-process') });
  } catch (e) {
    process.send?.({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
process.on('SIGTERM', () => {
  void db.close().finally(() => process.exit(0));
});
process.send?.({ id: 0 });
