import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { transaction } from '../db/transaction.js';
import { purposeKey } from '../secret-key.js';
import { insertWithFreshReference } from './payment.service.js';
import { TEST_CARDS } from './processor.js';

describe.each(engines())('sales, voids, settlement and receipts (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  const sell = async (card: string, amount = 5_000) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: await h.operator('cashier'),
      payload: { amount, card: { number: card } },
    });
  const voidIt = async (id: string, refundPassword?: string, headers?: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${id}/void`,
      headers: headers ?? (await h.operator('supervisor')),
      payload: refundPassword ? { refundPassword } : {},
    });

  it('answers each test card as documented, and keeps only BIN and last 4', async () => {
    const cases: Array<[string, string, string | null, number]> = [
      [TEST_CARDS.approved, 'approved', null, 5_000],
      [TEST_CARDS.declined, 'declined', 'card_declined', 0],
      [TEST_CARDS.insufficientFunds, 'declined', 'insufficient_funds', 0],
      [TEST_CARDS.chargedButFailed, 'failed', null, 5_000],
    ];
    for (const [card, status, decline, refundable] of cases) {
      const r = await sell(card);
      expect(r.statusCode, r.body).toBe(201);
      const p = r.json();
      expect(p).toMatchObject({ status, declineCode: decline, refundableAmount: refundable });
      expect(p.reference).toMatch(/^\d{12}$/);
      expect(p.card).toEqual({ bin: card.slice(0, 6), last4: card.slice(-4), brand: 'visa' });
      expect(r.body).not.toContain(card);
      const row = await h.db.kysely.selectFrom('payments').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(card);
    }
    const bad = await sell('4111111111111112');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('invalid_card_number');
  });

  it('keeps no reversible trace of the card number under an Idempotency-Key', async () => {
    const card = TEST_CARDS.approved;
    const payload = { amount: 4_321, card: { number: card } };
    const headers = { ...(await h.operator('cashier')), 'idempotency-key': 'pan-probe' };
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/payments', headers, payload });
    expect(r.statusCode, r.body).toBe(201);
    const row = await h.db.kysely
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('key', '=', 'pan-probe')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(card);
    // The fingerprint holds the card number; stored as a plain SHA-256 it would fall to trying the
    // 10^5 Luhn-valid numbers between the stored BIN and last 4. It is keyed with the server's
    // secret key, which is not in the database.
    const fingerprint = JSON.stringify({ method: 'POST', route: '/api/v1/payments', params: {}, body: payload });
    const keyed = createHmac('sha256', purposeKey(h.ctx.config, 'idempotency-fingerprints'));
    expect(row.request_hash).toBe(keyed.update(fingerprint).digest('hex'));
    expect(row.request_hash).not.toBe(createHash('sha256').update(fingerprint).digest('hex'));
    const replay = await h.app.inject({ method: 'POST', url: '/api/v1/payments', headers, payload });
    expect(replay.json().id).toBe(r.json().id);
    const otherCard = { ...payload, card: { number: TEST_CARDS.declined } };
    const conflict = await h.app.inject({ method: 'POST', url: '/api/v1/payments', headers, payload: otherCard });
    expect(conflict.json().code).toBe('idempotency_conflict');
  });

  it('draws a receipt reference again when one clashes with another payment’s', async () => {
    const first = (await sell(TEST_CARDS.approved)).json();
    const row = await h.db.kysely
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', first.id)
      .executeTakeFirstOrThrow();
    const draws = [first.reference, first.reference, '123456000042'];
    const reference = await transaction(h.db, (trx) =>
      insertWithFreshReference(trx, { ...row, id: 'pay_CLASHTEST0000000000000000' }, () => draws.shift() as string),
    );
    expect(reference).toBe('123456000042');
    expect(draws).toEqual([]);
    const copy = await h.db.kysely
      .selectFrom('payments')
      .select('reference')
      .where('id', '=', 'pay_CLASHTEST0000000000000000')
      .executeTakeFirstOrThrow();
    expect(copy.reference).toBe('123456000042');
  });

  it('voids a sale of the open batch with the refund password, and only then', async () => {
    const sale = (await sell(TEST_CARDS.approved)).json();
    expect((await voidIt(sale.id)).json().code).toBe('refund_password_required');
    expect((await voidIt(sale.id, '000001')).json().code).toBe('refund_password_invalid');
    const other = await voidIt(sale.id, '604825', await h.operator('supervisor', 'other'));
    expect(other.statusCode).toBe(404);
    const ok = await voidIt(sale.id, REFUND_PASSWORD);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'voided', voidedAmount: 5_000, refundableAmount: 0 });
    expect((await voidIt(sale.id, REFUND_PASSWORD)).json().code).toBe('payment_not_voidable');
    const refund = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: sale.id, amount: 100, reason: 'other', refundPassword: REFUND_PASSWORD },
    });
    expect(refund.json().code).toBe('payment_not_refundable');
    const receipt = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${sale.id}/receipt`,
      headers: await h.operator('cashier'),
    });
    expect(receipt.json().kind).toBe('void');
  });

  it('refuses to void a refunded sale or a settled one (refund it instead)', async () => {
    const refunded = (await sell(TEST_CARDS.approved)).json();
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers: await h.operator('cashier'),
      payload: { paymentId: refunded.id, amount: 100, reason: 'other', refundPassword: REFUND_PASSWORD },
    });
    expect((await voidIt(refunded.id, REFUND_PASSWORD)).json().code).toBe('payment_not_voidable');
    const settledSale = (await sell(TEST_CARDS.approved)).json();
    const settle = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/settle`,
      headers: await h.operator('supervisor'),
    });
    expect(settle.statusCode, settle.body).toBe(200);
    expect((await voidIt(settledSale.id, REFUND_PASSWORD)).json().detail).toMatch(/settled/);
  });

  it('settles the open batch with its totals, then opens the next one', async () => {
    const supervisor = await h.operator('supervisor');
    const settle = () =>
      h.app.inject({ method: 'POST', url: `/api/v1/terminals/${h.ids.terminalId}/settle`, headers: supervisor });
    await settle(); // whatever earlier tests left open
    const a = (await sell(TEST_CARDS.approved, 1_000)).json();
    await sell(TEST_CARDS.approved, 2_500);
    await sell(TEST_CARDS.declined, 9_999);
    await voidIt(a.id, REFUND_PASSWORD);
    const totals = (await settle()).json();
    expect(totals).toMatchObject({
      sales: { count: 2, amount: 3_500 },
      voids: { count: 1, amount: 1_000 },
      declined: { count: 1 },
      net: 2_500,
      currency: 'CNY',
    });
    expect((await settle()).json().code).toBe('batch_empty');
    const next = (await sell(TEST_CARDS.approved, 700)).json();
    expect(next.batchId).not.toBe(totals.batchId);
    const cashier = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/settle`,
      headers: await h.operator('cashier'),
    });
    expect(cashier.statusCode).toBe(403);
  });

  it('prints merchant and customer copies with a masked card and the reference', async () => {
    const sale = (await sell(TEST_CARDS.approvedUnionPay, 12_345)).json();
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${sale.id}/receipt`,
      headers: await h.operator('cashier'),
    });
    const { merchantCopy, customerCopy } = r.json();
    const text = [...merchantCopy, ...customerCopy].join('\n');
    expect(text).toContain('6212 34** **** 1232');
    expect(text).toContain(sale.reference);
    expect(text).toContain('RMB 123.45');
    expect(text).not.toContain(TEST_CARDS.approvedUnionPay);
    expect(merchantCopy.join('\n')).toContain('SIGNATURE');
    expect(customerCopy.join('\n')).not.toContain('SIGNATURE');
  });

  it('lets a cashier list its terminal’s sales, and the other merchant none of them', async () => {
    const mine = (
      await h.app.inject({ method: 'GET', url: '/api/v1/payments?limit=100', headers: await h.operator('cashier') })
    ).json();
    expect(mine.data.length).toBeGreaterThan(5);
    expect(mine.data.every((p: { terminalId: string }) => p.terminalId === h.ids.terminalId)).toBe(true);
    const theirs = (
      await h.app.inject({
        method: 'GET',
        url: '/api/v1/payments?limit=100',
        headers: await h.operator('cashier', 'other'),
      })
    ).json();
    expect(theirs.data.some((p: { merchantId: string }) => p.merchantId === h.ids.merchantId)).toBe(false);
  });
});
