import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { enqueueJob } from '../../src/jobs/job.service.js';
import { JOB_PROCESS } from '../../src/refunds/refund.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';

/**
 * Admission control (src/http/admission.ts): while more than ADMISSION_MAX_WAITING_JOBS jobs (3
 * here; 2,000 by default) wait for a worker, a new refund is held at the door, then refused with
 * 503 `busy` and Retry-After; nothing is stored and the Idempotency-Key stays unused; reads go on.
 * The harness runs no worker: the test fills the outbox and drains it.
 */
describe.each(engines())('admission control (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine, { admissionMaxWaitingJobs: 3 });
  });
  afterAll(() => h?.close());

  const refundsStored = async () =>
    Number(
      (
        await h.db.kysely
          .selectFrom('refunds')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst()
      )?.n,
    );
  /** Jobs no worker runs (their refund does not exist: the step does nothing). */
  const fill = (n: number) =>
    transaction(h.db, async (tx) => {
      for (let i = 0; i < n; i++) await enqueueJob(tx, h.ctx, JOB_PROCESS, { refundId: `ref_none${i}` });
    });
  /** The next request measures afresh (a count is trusted for 100 ms of the context's clock). */
  const later = () => h.clock.advance(1_000);

  it('holds, then refuses new refunds while the worker is behind, and takes the same request once it caught up', async () => {
    const sale = await h.sale(1_000, { settled: true });
    const key = await h.apiKey(['refunds:write', 'read']);
    const ask = () =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: { ...key, 'idempotency-key': 'admission-1', 'accept-language': 'zh-CN' },
        payload: { paymentId: sale.id, amount: 100, reason: 'other' },
      });
    await h.drain();
    await fill(3); // exactly the limit: still admitted
    later();
    const before = await refundsStored();
    const read = await h.app.inject({ method: 'GET', url: '/api/v1/refunds', headers: key });
    expect(read.statusCode).toBe(200);

    await fill(1);
    later();
    const started = performance.now();
    const refused = await ask();
    expect(performance.now() - started).toBeGreaterThanOrEqual(4_900); // held 5 s at the door first
    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ code: 'busy', title: '系统繁忙, 请稍后重试' });
    expect(await refundsStored()).toBe(before);
    // Reads and other work are not held.
    const payment = await h.app.inject({ method: 'GET', url: `/api/v1/payments/${sale.id}`, headers: key });
    expect(payment.statusCode).toBe(200);

    // The worker catches up: the same request, same key, is taken (the 503 used nothing up).
    await h.drain();
    later();
    const taken = await ask();
    expect(taken.statusCode, taken.body).toBe(201);
    expect(taken.headers['idempotent-replayed']).toBeUndefined();
    expect(await refundsStored()).toBe(before + 1);
  });

  it('lets a held request in as soon as the worker catches up', { timeout: 15_000 }, async () => {
    const sale = await h.sale(1_000, { settled: true });
    await h.drain();
    await fill(4);
    later();
    const held = h.app.inject({
      method: 'POST',
      url: '/api/v1/public/refund-requests',
      payload: {
        paymentReference: String(sale.reference),
        cardLast4: (sale.card as { last4: string }).last4,
        amount: 100,
        reason: 'other',
        description: 'held at the door',
        contact: { email: 'held@example.com' },
      },
    });
    let answered = false;
    void held.then(() => {
      answered = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false); // held at the door, not refused
    await h.drain();
    later();
    const r = await held;
    expect(r.statusCode, r.body).toBe(201);
  });

  it('does not count a job a worker holds: only jobs waiting for one', async () => {
    await h.drain();
    await fill(10);
    const until = new Date(h.clock.now().getTime() + 60_000).toISOString();
    await h.db.kysely
      .updateTable('jobs')
      .set({ locked_by: 'w_busy', locked_until: until })
      .where('done_at', 'is', null)
      .execute();
    later();
    const sale = await h.sale(1_000, { settled: true });
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.apiKey(['refunds:write']),
      payload: { paymentId: sale.id, amount: 100, reason: 'other' },
    });
    expect(r.statusCode, r.body).toBe(201);
  });
});
