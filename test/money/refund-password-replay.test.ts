import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';

/**
 * A replay (same Idempotency-Key, same body) answers the first response without consulting the
 * refund password: the password authorises new money movement, a replay moves none. So a retry
 * sent after the password changed replays (and counts no wrong attempt), while a new key with the
 * old password is refused as before.
 */
describe.each(engines())('replays after the refund password changed (%s)', (engine) => {
  let h: Harness;
  const chain = [REFUND_PASSWORD, '480263', '592714', '307158'];
  let current = 0;

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  /** The supervisor changes the password; every session of the merchant's people ends. */
  async function changePassword() {
    const next = chain[current + 1];
    const r = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
      headers: await h.operator('supervisor'),
      payload: { currentPassword: chain[current], newPassword: next, confirmPassword: next },
    });
    expect(r.statusCode, r.body).toBe(204);
    current += 1;
    h.forgetTokens();
  }

  async function attemptsLeft(): Promise<number> {
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/status`,
      headers: await h.login('owner'),
    });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().attemptsLeft;
  }

  const failedChecks = async () =>
    (
      await h.db.kysely
        .selectFrom('audit_events')
        .select('id')
        .where('action', '=', 'refund_password.check_failed')
        .execute()
    ).length;

  it('replays a counter refund with its first 201 and the same body, and refuses a new key with the old password', async () => {
    const sale = await h.sale(2_000, { settled: true });
    const old = chain[current];
    const send = async (key: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: { ...(await h.operator('cashier')), 'idempotency-key': key },
        payload: { paymentId: sale.id, amount: 500, reason: 'goods_returned', refundPassword: old },
      });
    const first = await send('counter-1');
    expect(first.statusCode, first.body).toBe(201);
    await changePassword();
    const [left, failed] = [await attemptsLeft(), await failedChecks()];

    const replay = await send('counter-1');
    expect(replay.statusCode, replay.body).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(await attemptsLeft()).toBe(left);
    expect(await failedChecks()).toBe(failed);
    const refunds = await h.db.kysely.selectFrom('refunds').select('id').where('payment_id', '=', sale.id).execute();
    expect(refunds).toHaveLength(1);

    const fresh = await send('counter-2');
    expect(fresh.statusCode, fresh.body).toBe(403);
    expect(fresh.json().code).toBe('refund_password_invalid');
    expect(await attemptsLeft()).toBe(left - 1);
  });

  it('replays a void with its first 200 and the same body, and refuses a new key with the old password', async () => {
    h.forgetTokens();
    const sale = await h.sale(3_000);
    const other = await h.sale(1_000);
    const old = chain[current];
    const send = async (paymentId: string, key: string) =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/payments/${paymentId}/void`,
        headers: { ...(await h.operator('supervisor')), 'idempotency-key': key },
        payload: { refundPassword: old },
      });
    const first = await send(sale.id, 'void-1');
    expect(first.statusCode, first.body).toBe(200);
    await changePassword();
    const [left, failed] = [await attemptsLeft(), await failedChecks()];

    const replay = await send(sale.id, 'void-1');
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(await attemptsLeft()).toBe(left);
    expect(await failedChecks()).toBe(failed);

    const fresh = await send(other.id, 'void-2');
    expect(fresh.statusCode, fresh.body).toBe(403);
    expect(fresh.json().code).toBe('refund_password_invalid');
    const still = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${other.id}`,
      headers: await h.login('owner'),
    });
    expect(still.json().status).toBe('approved');
  });

  it('replays a merchant approval with its first 200 and the same body, and refuses a new key with the old password', async () => {
    h.forgetTokens();
    const request = async () => {
      const sale = await h.sale(4_000, { settled: true });
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/public/refund-requests',
        payload: {
          paymentReference: sale.reference,
          cardLast4: '1111',
          amount: 4_000,
          reason: 'goods_returned',
          description: 'returned the goods',
          contact: { email: 'replay@customer.test' },
          language: 'en',
        },
      });
      expect(r.statusCode, r.body).toBe(201);
      return r.json().id as string;
    };
    const [approved, waiting] = [await request(), await request()];
    const old = chain[current];
    const send = async (refundId: string, key: string) =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/refunds/${refundId}/merchant-decision`,
        headers: { ...(await h.login('owner')), 'idempotency-key': key },
        payload: { decision: 'approve', refundPassword: old },
      });
    const first = await send(approved, 'approve-1');
    expect(first.statusCode, first.body).toBe(200);
    await changePassword();
    const [left, failed] = [await attemptsLeft(), await failedChecks()];

    const replay = await send(approved, 'approve-1');
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(await attemptsLeft()).toBe(left);
    expect(await failedChecks()).toBe(failed);

    const fresh = await send(waiting, 'approve-2');
    expect(fresh.statusCode, fresh.body).toBe(403);
    expect(fresh.json().code).toBe('refund_password_invalid');
    const still = await h.app.inject({
      method: 'GET',
      url: `/api/v1/refunds/${waiting}`,
      headers: await h.login('owner'),
    });
    expect(still.json().status).toBe('pending_merchant');
  });
});
