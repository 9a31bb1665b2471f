import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { transaction } from '../db/transaction.js';
import { jobHandlers } from '../wiring.js';
import { enqueueJob, installJobHandlers, runDueJobs } from './job.service.js';

/** The worker keeps up: a claim's jobs run side by side (their transactions share commits), a stop hands back what did not start. */
describe.each(engines())('the worker (%s)', (engine) => {
  let h: Harness;
  let running = 0;
  let mostAtOnce = 0;
  let gate: Promise<void> = Promise.resolve();
  const done: string[] = [];
  beforeAll(async () => {
    h = await openHarness(engine);
    installJobHandlers({
      ...jobHandlers,
      'test.held': {
        task: async (_db, _ctx, payload) => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await gate;
          running--;
          done.push(String(payload.n));
        },
      },
    });
  });
  afterAll(() => h?.close());

  const enqueue = (n: number, from = 0) =>
    transaction(h.db, async (trx) => {
      for (let i = from; i < from + n; i++) await enqueueJob(trx, h.ctx, 'test.held', { n: i });
    });
  const unfinished = async () =>
    h.db.kysely.selectFrom('jobs').select(['locked_by', 'done_at']).where('done_at', 'is', null).execute();

  it('runs a claim’s jobs side by side, sixteen at a time, and each once', async () => {
    await enqueue(40);
    let open!: () => void;
    gate = new Promise((r) => {
      open = r;
    });
    const run = runDueJobs(h.db, h.ctx, 'w_test');
    await vi.waitFor(() => expect(running).toBe(16));
    open();
    expect(await run).toBe(40);
    expect(mostAtOnce).toBe(16);
    expect(done.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await unfinished()).toEqual([]);
  });

  it('hands back, unclaimed, the jobs a stopping worker had not started', async () => {
    done.length = 0;
    await enqueue(40, 100);
    let open!: () => void;
    gate = new Promise((r) => {
      open = r;
    });
    let stopping = false;
    const run = runDueJobs(h.db, h.ctx, 'w_test', 64, () => stopping);
    await vi.waitFor(() => expect(running).toBe(16));
    stopping = true; // the sixteen in flight finish; the other 24 are not started
    open();
    expect(await run).toBe(16);
    const left = await unfinished();
    expect(left).toHaveLength(24);
    expect(left.every((j) => j.locked_by === null)).toBe(true);
    expect(await runDueJobs(h.db, h.ctx, 'w_other')).toBe(24); // claimable at once
  });
});
