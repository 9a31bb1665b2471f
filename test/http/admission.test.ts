import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { enqueueJob } from '../../src/jobs/job.service.js';
import { JOB_PROCESS } from '../../src/refunds/refund.js';
import { customerRequest } from '../support/customer-refunds.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';

/**
 * Admission control (src/http/admission.ts): while more than ADMISSION_MAX_WAITING_JOBS jobs (3
 * here; 2,000 by default) wait for a worker, a new refund is held at the door (ADMISSION_MAX_WAIT_MS:
 * 2 s here, 5 s by default), then refused with 503 `busy` and Retry-After; nothing is stored and the
 * Idempotency-Key stays unused; reads and decisions on refunds already taken go on. Past
 * ADMISSION_MAX_HELD held requests (2 here), a new one is refused at once.
 * The harness runs no worker: the test fills the outbox and drains it.
 */
const WAIT_MS = 2_000;

describe.each(engines())('admission control (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine, { admissionMaxWaitingJobs: 3, admissionMaxWaitMs: WAIT_MS, admissionMaxHeld: 2 });
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
    expect(performance.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 100); // held at the door first
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

  it('answers a decision on a refund already taken at once, while new refunds are held', async () => {
    const sale = await h.sale(1_000, { settled: true });
    const request = await customerRequest(h, sale);
    await h.drain();
    await fill(4);
    later();
    const started = performance.now();
    const approved = await h.app.inject({
      method: 'POST',
      url: `/api/v1/refunds/${request.id}/merchant-decision`,
      headers: await h.login('owner'),
      payload: { decision: 'approve', refundPassword: REFUND_PASSWORD },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(performance.now() - started).toBeLessThan(WAIT_MS); // not held
    await h.drain();
  });

  it('refuses at once past the requests it may hold, while those it holds wait', async () => {
    const sale = await h.sale(1_000, { settled: true });
    const key = await h.apiKey(['refunds:write']);
    await h.drain();
    await fill(4);
    later();
    const ask = () =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: key,
        payload: { paymentId: sale.id, amount: 100, reason: 'other' },
      });
    const answered: number[] = [];
    const held = [ask(), ask()].map((p, i) =>
      p.then((r) => {
        answered.push(i);
        return r;
      }),
    );
    await new Promise((r) => setTimeout(r, 200)); // both are at the door
    const third = await ask();
    expect(third.statusCode, third.body).toBe(503);
    expect(third.json()).toMatchObject({ code: 'busy' });
    expect(answered).toEqual([]); // refused while the two held ones still waited
    await h.drain();
    later();
    for (const r of await Promise.all(held)) expect(r.statusCode, r.body).toBe(201);
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
