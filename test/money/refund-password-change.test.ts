import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armFailpoint } from '../../src/db/failpoints.js';
import { customerRequest, ownerView, refundPasswordChain } from '../support/customer-refunds.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';
import { checkInvariants } from './invariants.js';

/**
 * The refund password authorises new money movement: checked (argon2) before the transaction that
 * moves the money, re-checked cheaply inside it, and not consulted by a replay, which moves none.
 *
 * - A change between the check and the transaction is made certain with a failpoint: the check
 *   passes, the supervisor changes the password while the request waits at
 *   `refund-password:verified`, then the request goes on and is refused with
 *   `409 refund_password_changed`, having done nothing.
 * - A replay (same Idempotency-Key, same body) sent after the password changed answers the first
 *   response and counts no wrong attempt; a new key with the old password is refused as before.
 */
describe.each(engines())('the refund password changing while money moves (%s)', (engine) => {
  let h: Harness;
  let passwords: ReturnType<typeof refundPasswordChain>;

  beforeAll(async () => {
    h = await openHarness(engine);
    passwords = refundPasswordChain(h);
  });
  afterAll(() => h?.close());

  /** Arms the failpoint once: the first request past the check waits there while the password changes. */
  function changeAfterTheCheck(): { changed: () => boolean } {
    let changed = false;
    const disarm = armFailpoint('refund-password:verified', async () => {
      disarm();
      await passwords.change();
      changed = true;
    });
    return { changed: () => changed };
  }

  const refusedAsChanged = (r: { statusCode: number; body: string; json: () => { code: string } }) => {
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json().code).toBe('refund_password_changed');
  };

  /** Wrong entries the refund password still takes before it locks, and the failed checks audited. */
  async function attempts(): Promise<{ left: number; failedChecks: number }> {
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/status`,
      headers: await h.login('owner'),
    });
    expect(r.statusCode, r.body).toBe(200);
    const failed = await h.db.kysely
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'refund_password.check_failed')
      .execute();
    return { left: r.json().attemptsLeft, failedChecks: failed.length };
  }

  type Send = (key: string) => Promise<{
    statusCode: number;
    body: string;
    headers: Record<string, unknown>;
    json: () => Record<string, unknown>;
  }>;

  /**
   * The story each money path tells: `first` succeeds with `status`; the password changes; the
   * same key replays the very same answer and counts nothing; `fresh` (a new key, same old
   * password) is refused.
   */
  async function replaysAfterTheChange(status: number, first: Send, fresh: Send) {
    const made = await first('key-1');
    expect(made.statusCode, made.body).toBe(status);
    await passwords.change();
    const before = await attempts();

    const replay = await first('key-1');
    expect(replay.statusCode, replay.body).toBe(status);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(made.json());
    expect(await attempts()).toEqual(before);

    const refused = await fresh('key-2');
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().code).toBe('refund_password_invalid');
    expect(await attempts()).toEqual({ left: before.left - 1, failedChecks: before.failedChecks + 1 });
  }

  describe('between the check and the transaction', () => {
    it('refuses a counter refund with 409 refund_password_changed and reserves nothing', async () => {
      const sale = await h.sale(2_000, { settled: true });
      const counterRefund = async () =>
        h.app.inject({
          method: 'POST',
          url: '/api/v1/refunds',
          headers: { ...(await h.operator('cashier')), 'idempotency-key': 'counter-race-1' },
          payload: { paymentId: sale.id, amount: 500, reason: 'goods_returned', refundPassword: passwords.current() },
        });
      const race = changeAfterTheCheck();
      const r = await counterRefund();
      expect(race.changed()).toBe(true);
      refusedAsChanged(r);
      const refunds = await h.db.kysely.selectFrom('refunds').select('id').where('payment_id', '=', sale.id).execute();
      expect(refunds).toEqual([]);
      expect(await ownerView(h, `/api/v1/payments/${sale.id}`)).toMatchObject({
        pendingRefundAmount: 0,
        refundedAmount: 0,
        refundableAmount: 2_000,
      });
      // The same key with the new password is a new attempt: nothing was stored under it.
      expect((await counterRefund()).statusCode).toBe(201);
      expect(await checkInvariants(h.db)).toEqual([]);
    });

    it('refuses a void with 409 refund_password_changed and leaves the sale approved', async () => {
      const sale = await h.sale(3_000);
      const race = changeAfterTheCheck();
      const r = await h.app.inject({
        method: 'POST',
        url: `/api/v1/payments/${sale.id}/void`,
        headers: await h.operator('supervisor'),
        payload: { refundPassword: passwords.current() },
      });
      expect(race.changed()).toBe(true);
      refusedAsChanged(r);
      expect(await ownerView(h, `/api/v1/payments/${sale.id}`)).toMatchObject({
        status: 'approved',
        voidedAmount: 0,
        voidedAt: null,
      });
      expect(await checkInvariants(h.db)).toEqual([]);
    });

    it('refuses a merchant approval with 409 refund_password_changed and leaves the request pending', async () => {
      const { id } = await customerRequest(h, await h.sale(4_000, { settled: true }));
      const race = changeAfterTheCheck();
      const r = await h.app.inject({
        method: 'POST',
        url: `/api/v1/refunds/${id}/merchant-decision`,
        headers: await h.login('owner'),
        payload: { decision: 'approve', refundPassword: passwords.current() },
      });
      expect(race.changed()).toBe(true);
      refusedAsChanged(r);
      const refund = await ownerView(h, `/api/v1/refunds/${id}`);
      expect(refund).toMatchObject({ status: 'pending_merchant' });
      expect(refund.timeline).toHaveLength(1);
      expect(await checkInvariants(h.db)).toEqual([]);
    });
  });

  describe('a replay after the change', () => {
    it('replays a counter refund with its first 201 and the same body, and refuses a new key with the old password', async () => {
      const sale = await h.sale(2_000, { settled: true });
      const old = passwords.current();
      const send: Send = async (key) =>
        h.app.inject({
          method: 'POST',
          url: '/api/v1/refunds',
          headers: { ...(await h.operator('cashier')), 'idempotency-key': `counter-${key}` },
          payload: { paymentId: sale.id, amount: 500, reason: 'goods_returned', refundPassword: old },
        });
      await replaysAfterTheChange(201, send, send);
      const refunds = await h.db.kysely.selectFrom('refunds').select('id').where('payment_id', '=', sale.id).execute();
      expect(refunds).toHaveLength(1);
    });

    it('replays a void with its first 200 and the same body, and refuses a new key with the old password', async () => {
      const [sale, other] = [await h.sale(3_000), await h.sale(1_000)];
      const old = passwords.current();
      const voidOf =
        (paymentId: string): Send =>
        async (key) =>
          h.app.inject({
            method: 'POST',
            url: `/api/v1/payments/${paymentId}/void`,
            headers: { ...(await h.operator('supervisor')), 'idempotency-key': `void-${key}` },
            payload: { refundPassword: old },
          });
      await replaysAfterTheChange(200, voidOf(sale.id), voidOf(other.id));
      expect((await ownerView(h, `/api/v1/payments/${other.id}`)).status).toBe('approved');
    });

    it('replays a merchant approval with its first 200 and the same body, and refuses a new key with the old password', async () => {
      const approved = (await customerRequest(h, await h.sale(4_000, { settled: true }))).id;
      const waiting = (await customerRequest(h, await h.sale(4_000, { settled: true }))).id;
      const old = passwords.current();
      const approve =
        (refundId: string): Send =>
        async (key) =>
          h.app.inject({
            method: 'POST',
            url: `/api/v1/refunds/${refundId}/merchant-decision`,
            headers: { ...(await h.login('owner')), 'idempotency-key': `approve-${key}` },
            payload: { decision: 'approve', refundPassword: old },
          });
      await replaysAfterTheChange(200, approve(approved), approve(waiting));
      expect((await ownerView(h, `/api/v1/refunds/${waiting}`)).status).toBe('pending_merchant');
    });
  });
});
