import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { DAY, HOUR } from '../clock.js';
import { transaction } from '../db/transaction.js';
import { purgeExpiredKeys } from '../idempotency/idempotency.service.js';
import { jobHandlers } from '../wiring.js';
import { drainJobs, enqueueJob, installJobHandlers, purgeFinishedJobs } from './job.service.js';

describe.each(engines())('jobs and housekeeping (%s)', (engine) => {
  let h: Harness;
  const seen: string[] = [];
  let failuresLeft = 2;
  beforeAll(async () => {
    h = await openHarness(engine);
    installJobHandlers({
      ...jobHandlers,
      'test.flaky': {
        task: async (_db, _ctx, payload) => {
          if (failuresLeft-- > 0) throw new Error('transient');
          seen.push(String(payload.n));
        },
      },
      // A step's writes: a marker job far in the future. `steal` plays another worker taking the
      // claim while the step runs (as after a lapsed claim).
      'test.step': {
        step: async (tx, ctx, payload) => {
          await enqueueJob(tx, ctx, 'test.marker', { of: payload.n }, new Date(ctx.clock.now().getTime() + 365 * DAY));
          if (payload.steal) {
            await tx.updateTable('jobs').set({ locked_by: 'w_other' }).where('kind', '=', 'test.step').execute();
          }
        },
      },
    });
  });
  afterAll(() => h?.close());

  it('retries a failing job with backoff and runs it once it succeeds', async () => {
    await transaction(h.db, (trx) => enqueueJob(trx, h.ctx, 'test.flaky', { n: 1 }));
    await drainJobs(h.db, h.ctx);
    expect(seen).toEqual([]);
    h.clock.advance(2_000);
    await drainJobs(h.db, h.ctx);
    h.clock.advance(4_000);
    await drainJobs(h.db, h.ctx);
    expect(seen).toEqual(['1']);
    h.clock.advance(HOUR);
    await drainJobs(h.db, h.ctx);
    expect(seen).toEqual(['1']);
  });

  it('commits a step with its completion, and undoes a step whose claim lapsed before it completed', async () => {
    await transaction(h.db, async (trx) => {
      await enqueueJob(trx, h.ctx, 'test.step', { n: 1 });
    });
    await drainJobs(h.db, h.ctx);
    await transaction(h.db, async (trx) => {
      await enqueueJob(trx, h.ctx, 'test.step', { n: 2, steal: true });
    });
    await drainJobs(h.db, h.ctx);
    const rows = await h.db.kysely
      .selectFrom('jobs')
      .select(['kind', 'payload', 'done_at', 'locked_by', 'last_error'])
      .where('kind', 'in', ['test.step', 'test.marker'])
      .execute();
    const marks = rows.filter((r) => r.kind === 'test.marker').map((r) => JSON.parse(r.payload).of);
    expect(marks).toEqual([1]);
    // Both steps were queued at the same clock time: each is found by its payload, not its place.
    const step = (n: number) => rows.find((r) => r.kind === 'test.step' && JSON.parse(r.payload).n === n);
    const [first, second] = [step(1), step(2)];
    expect(first && second).toBeTruthy();
    if (!first || !second) return;
    expect(first.done_at).not.toBeNull();
    // The stolen claim, the marker and the completion were one transaction: all undone (the claim
    // is still this worker's, not 'w_other'); the job waits for its retry with the reason recorded.
    expect(second).toMatchObject({ done_at: null, locked_by: 'drain' });
    expect(second.last_error).toMatch(/claim lapsed/);
    await h.db.kysely.deleteFrom('jobs').where('kind', 'in', ['test.step', 'test.marker']).execute();
  });

  it('purges finished jobs after 7 days and idempotency keys after 48 hours, and nothing younger', async () => {
    const sale = await h.sale(1_000);
    const key = await h.apiKey(['refunds:write']);
    const refund = () =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: { ...key, 'idempotency-key': 'purge-me' },
        payload: { paymentId: sale.id, amount: 100, reason: 'other' },
      });
    const first = await refund();
    await drainJobs(h.db, h.ctx);
    const count = async (table: 'jobs' | 'idempotency_keys') =>
      Number(
        (
          await h.db.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirst()
        )?.n,
      );
    expect(await transaction(h.db, (tx) => purgeExpiredKeys(tx, h.ctx))).toBe(0);
    expect(await transaction(h.db, (tx) => purgeFinishedJobs(tx, h.ctx, 7 * DAY))).toBe(0);
    // A day and 23 hours later the key still replays (Stripe keeps 24 h; we keep 48).
    h.clock.advance(2 * DAY - 60_000);
    expect(await transaction(h.db, (tx) => purgeExpiredKeys(tx, h.ctx))).toBe(0);
    const late = await refund();
    expect(late.headers['idempotent-replayed']).toBe('true');
    expect(late.json().id).toBe(first.json().id);
    h.clock.advance(60_000 + 1000);
    expect(await transaction(h.db, (tx) => purgeExpiredKeys(tx, h.ctx))).toBeGreaterThan(0);
    expect(await count('idempotency_keys')).toBe(0);
    // A job still waiting (due in a month) must survive every purge.
    await transaction(h.db, (trx) =>
      enqueueJob(trx, h.ctx, 'test.flaky', { n: 2 }, new Date(h.clock.now().getTime() + 30 * DAY)),
    );
    h.clock.advance(5 * DAY);
    expect(await transaction(h.db, (tx) => purgeFinishedJobs(tx, h.ctx, 7 * DAY))).toBeGreaterThan(0);
    const left = await h.db.kysely.selectFrom('jobs').select(['done_at', 'payload']).execute();
    expect(left).toEqual([{ done_at: null, payload: JSON.stringify({ n: 2 }) }]);
  });
});
