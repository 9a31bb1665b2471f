import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CARDS } from '../../src/payments/processor.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';

/**
 * A client that times out retries: the same Idempotency-Key arrives many times at once. Whatever
 * the interleaving, one key makes one refund (or one sale), every twin gets the first response, and
 * a different body under the same key is refused. On PostgreSQL the twins really run in parallel on
 * the harness's connection pool.
 */
describe.each(engines())('Idempotency-Key under a retry storm (%s)', (engine) => {
  let h: Harness;
  let key: Record<string, string>;
  let run = 0;
  const newKey = () => `storm-${engine}-${++run}-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    h = await openHarness(engine);
    key = await h.apiKey(['refunds:write', 'payments:write', 'read']);
  });
  afterAll(() => h?.close());

  const postRefund = (idempotencyKey: string, body: Record<string, unknown>) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: { ...key, 'idempotency-key': idempotencyKey },
      payload: body,
    });

  const postPayment = (idempotencyKey: string, body: Record<string, unknown>) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: { ...key, 'idempotency-key': idempotencyKey },
      payload: body,
    });

  const refundRows = (paymentId: string) =>
    h.db.kysely.selectFrom('refunds').select(['id', 'amount']).where('payment_id', '=', paymentId).execute();

  const paymentCount = async () =>
    Number(
      (
        await h.db.kysely
          .selectFrom('payments')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  const getPayment = async (id: string) => {
    const r = await h.app.inject({ method: 'GET', url: `/api/v1/payments/${id}`, headers: key });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { refundableAmount: number; pendingRefundAmount: number };
  };

  /** All 201, one id, and every reply but one marked as a replay. */
  const expectOneAnswer = (replies: Awaited<ReturnType<typeof postRefund>>[]) => {
    for (const r of replies) expect(r.statusCode, r.body).toBe(201);
    const ids = new Set(replies.map((r) => r.json().id as string));
    expect(ids.size).toBe(1);
    const fresh = replies.filter((r) => r.headers['idempotent-replayed'] === undefined);
    const replayed = replies.filter((r) => r.headers['idempotent-replayed'] === 'true');
    expect(fresh).toHaveLength(1);
    expect(replayed).toHaveLength(replies.length - 1);
    return [...ids][0] as string;
  };

  it('turns 50 concurrent twins of a partial refund into one refund, and refuses the key with another body', async () => {
    const sale = await h.sale(10_000);
    const k = newKey();
    const body = { paymentId: sale.id, amount: 2_500, reason: 'goods_returned' };
    const replies = await Promise.all(Array.from({ length: 50 }, () => postRefund(k, body)));

    const id = expectOneAnswer(replies);
    for (const r of replies) expect(r.json()).toMatchObject({ id, paymentId: sale.id, amount: 2_500 });
    const rows = await refundRows(sale.id);
    expect(rows.map((r) => r.id)).toEqual([id]);
    expect(await getPayment(sale.id)).toMatchObject({ pendingRefundAmount: 2_500, refundableAmount: 7_500 });

    const conflict = await postRefund(k, { ...body, amount: 2_501 });
    expect(conflict.statusCode, conflict.body).toBe(409);
    expect(conflict.json().code).toBe('idempotency_conflict');
    expect((await refundRows(sale.id)).map((r) => r.id)).toEqual([id]);
    expect(await getPayment(sale.id)).toMatchObject({ pendingRefundAmount: 2_500, refundableAmount: 7_500 });
  });

  it('replays a full refund to all 50 concurrent twins instead of refusing the late ones as over-refunds', async () => {
    // The winner reserves the whole sale; a twin that reads the payment after it must still be
    // answered with the winner's refund, not with refund_exceeds_refundable.
    const sale = await h.sale(4_000);
    const k = newKey();
    const body = { paymentId: sale.id, amount: 4_000, reason: 'duplicate' };
    const replies = await Promise.all(Array.from({ length: 50 }, () => postRefund(k, body)));

    const id = expectOneAnswer(replies);
    expect((await refundRows(sale.id)).map((r) => r.id)).toEqual([id]);
    expect(await getPayment(sale.id)).toMatchObject({ pendingRefundAmount: 4_000, refundableAmount: 0 });
  });

  it('gives one key fired concurrently with two different bodies to exactly one of them', async () => {
    const sale = await h.sale(10_000);
    const k = newKey();
    const a = { paymentId: sale.id, amount: 1_000, reason: 'goods_returned' };
    const b = { paymentId: sale.id, amount: 1_200, reason: 'goods_returned' };
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => postRefund(k, i % 2 ? b : a)));

    const rows = await refundRows(sale.id);
    expect(rows).toHaveLength(1);
    const winner = rows[0];
    const winningAmount = Number(winner.amount);
    expect([1_000, 1_200]).toContain(winningAmount);
    for (const [i, r] of replies.entries()) {
      const sent = i % 2 ? b : a;
      if (sent.amount === winningAmount) {
        expect(r.statusCode, r.body).toBe(201);
        expect(r.json().id).toBe(winner.id);
      } else {
        expect(r.statusCode, r.body).toBe(409);
        expect(r.json().code).toBe('idempotency_conflict');
      }
    }
    expect(await getPayment(sale.id)).toMatchObject({ pendingRefundAmount: winningAmount });
  });

  it('makes exactly 20 refunds from 20 distinct keys each retried 3 times, all at once', async () => {
    const sale = await h.sale(10_000);
    const keys = Array.from({ length: 20 }, () => newKey());
    const sends = keys.flatMap((k, i) => [0, 1, 2].map(() => ({ k, amount: 100 + i })));
    const replies = await Promise.all(
      sends.map(({ k, amount }) => postRefund(k, { paymentId: sale.id, amount, reason: 'other' })),
    );

    const idByKey = new Map<string, Set<string>>();
    for (const [i, r] of replies.entries()) {
      expect(r.statusCode, r.body).toBe(201);
      expect(r.json().amount).toBe(sends[i].amount);
      const set = idByKey.get(sends[i].k) ?? new Set<string>();
      set.add(r.json().id);
      idByKey.set(sends[i].k, set);
    }
    for (const ids of idByKey.values()) expect(ids.size).toBe(1);
    const ids = [...idByKey.values()].map((s) => [...s][0]);
    expect(new Set(ids).size).toBe(20);

    const rows = await refundRows(sale.id);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    const expectedSum = sends.filter((_, i) => i % 3 === 0).reduce((s, x) => s + x.amount, 0);
    expect(rows.reduce((s, r) => s + Number(r.amount), 0)).toBe(expectedSum);
    expect(await getPayment(sale.id)).toMatchObject({
      pendingRefundAmount: expectedSum,
      refundableAmount: 10_000 - expectedSum,
    });
  });

  it('turns 50 concurrent twins of a sale into one payment, and refuses the key with another body', async () => {
    const k = newKey();
    const body = { amount: 8_800, card: { number: TEST_CARDS.approved }, terminalId: h.ids.terminalId };
    const before = await paymentCount();
    const replies = await Promise.all(Array.from({ length: 50 }, () => postPayment(k, body)));

    const id = expectOneAnswer(replies);
    for (const r of replies) expect(r.json()).toMatchObject({ id, amount: 8_800, status: 'approved' });
    expect(await paymentCount()).toBe(before + 1);

    const conflict = await postPayment(k, { ...body, amount: 8_801 });
    expect(conflict.statusCode, conflict.body).toBe(409);
    expect(conflict.json().code).toBe('idempotency_conflict');
    expect(await paymentCount()).toBe(before + 1);
  });

  it('makes one payment per key when 10 keys × 3 retries race on a terminal whose batch was just settled', async () => {
    // After settlement the terminal has no open batch: the first sales race to open the next one.
    // Five rounds, since the window (a batch committed between two reads of a twin) is narrow.
    const owner = await h.login('owner');
    for (let round = 0; round < 5; round++) await settledStorm(owner);
  });

  async function settledStorm(owner: Record<string, string>) {
    await h.sale(100);
    const settled = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/settle`,
      headers: owner,
    });
    expect(settled.statusCode, settled.body).toBe(200);

    const before = await paymentCount();
    const keys = Array.from({ length: 10 }, () => newKey());
    const sends = keys.flatMap((k) => [0, 1, 2].map(() => k));
    const replies = await Promise.all(
      sends.map((k) =>
        postPayment(k, { amount: 1_500, card: { number: TEST_CARDS.approved }, terminalId: h.ids.terminalId }),
      ),
    );
    for (const r of replies) expect(r.statusCode, r.body).toBe(201);
    const idsByKey = new Map<string, Set<string>>();
    for (const [i, r] of replies.entries()) {
      idsByKey.set(sends[i], (idsByKey.get(sends[i]) ?? new Set()).add(r.json().id));
    }
    for (const ids of idsByKey.values()) expect(ids.size).toBe(1);
    expect(new Set(replies.map((r) => r.json().id)).size).toBe(10);
    expect(await paymentCount()).toBe(before + 10);
    expect(new Set(replies.map((r) => r.json().batchId)).size).toBe(1);
  }
});
