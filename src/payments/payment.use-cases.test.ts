import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, REFUND_PASSWORD, useHarness } from '../../test/support/harness.js';
import { codeOf, demoActors, type Who } from '../../test/support/use-cases.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import { transaction } from '../db/transaction.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { createCounterRefund } from '../refunds/refund.service.js';
import { listJournal } from './journal.service.js';
import * as payments from './payment.service.js';
import { TEST_CARDS } from './processor.js';

const UNKNOWN = 'pay_01ZZZZZZZZZZZZZZZZZZZZZZZZ';

/** The payment use cases called as services, each with the errors its doc comment names. */
describe.each(engines())('payment use cases: sale, read, void, flag (%s)', (engine) => {
  let h: Harness;
  const actor = demoActors(() => h);
  useHarness(engine, (opened) => (h = opened));

  const sell = async (card: string = TEST_CARDS.approved, amount = 5_000, who: Who = 'cashier') =>
    (await payments.createPayment(h.db, h.ctx, await actor(who), { amount, card: { number: card } })).value;
  const audited = async (objectId: string) =>
    (await listAuditEvents(h.db, h.ctx, systemActor, { merchantId: h.ids.merchantId, objectId, limit: 10 })).data.map(
      (e) => [e.action, e.outcome],
    );

  describe('createPayment', () => {
    it('records an approved sale in the terminal’s open batch and journal, keeping only BIN and last 4', async () => {
      const p = await sell(TEST_CARDS.approved, 4_200);
      expect(p).toMatchObject({
        status: 'approved',
        amount: 4_200,
        currency: 'CNY',
        capturedAmount: 4_200,
        refundableAmount: 4_200,
        terminalId: h.ids.terminalId,
        merchantId: h.ids.merchantId,
        card: { bin: '411111', last4: '1111', brand: 'visa' },
        declineCode: null,
      });
      expect(p.authCode).toMatch(/^\d{6}$/);
      expect(p.reference).toMatch(/^\d{12}$/);
      const row = await h.db.kysely.selectFrom('payments').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(TEST_CARDS.approved);
      const journal = await listJournal(h.db.kysely, await actor('owner'), h.ids.terminalId, { limit: 1 });
      expect(journal.data[0]).toMatchObject({ kind: 'sale', paymentId: p.id, amount: 4_200, operatorCode: '01' });
      expect(await audited(p.id)).toEqual([['payment.created', 'success']]);
    });

    it('records a declined sale with nothing captured, and a sale that failed after capture', async () => {
      const declined = await sell(TEST_CARDS.insufficientFunds);
      expect(declined).toMatchObject({ status: 'declined', declineCode: 'insufficient_funds', capturedAmount: 0 });
      expect(declined.refundableAmount).toBe(0);
      expect(await audited(declined.id)).toEqual([['payment.created', 'failure']]);
      const failed = await sell(TEST_CARDS.chargedButFailed, 2_000);
      expect(failed).toMatchObject({ status: 'failed', failureReason: 'processor_timeout', capturedAmount: 2_000 });
    });

    it('lets an API key sell at a terminal of its merchant that it names', async () => {
      const { value } = await payments.createPayment(h.db, h.ctx, await actor('apiKey'), {
        amount: 1_500,
        card: { number: TEST_CARDS.approvedUnionPay },
        terminalId: h.ids.terminalId,
      });
      expect(value).toMatchObject({ status: 'approved', terminalId: h.ids.terminalId, operatorId: null });
      expect(value.card.brand).toBe('unionpay');
    });

    it('answers a retried sale with its Idempotency-Key from the first: one payment, charged once', async () => {
      const cashier = await actor('cashier');
      const input = { amount: 3_300, card: { number: TEST_CARDS.approved } };
      const idempotency: IdempotencyRequest = {
        scope: h.ids.merchantId,
        key: 'sale-retry',
        fingerprint: { amount: 3_300 },
      };
      const first = await payments.createPayment(h.db, h.ctx, cashier, input, idempotency);
      const again = await payments.createPayment(h.db, h.ctx, cashier, input, idempotency);
      expect(first.replayed).toBe(false);
      expect(again).toEqual({ value: first.value, replayed: true });
      const changed = { ...idempotency, fingerprint: { amount: 3_301 } };
      expect(await codeOf(payments.createPayment(h.db, h.ctx, cashier, input, changed))).toBe('idempotency_conflict');
    });

    it.each([
      [
        'a card number that fails the Luhn check',
        'invalid_card_number',
        'cashier',
        () => ({ card: { number: '4111111111111112' } }),
      ],
      ['an API key that names no terminal', 'terminal_required', 'apiKey', () => ({})],
      ['an unknown terminal', 'not_found', 'apiKey', () => ({ terminalId: 'trm_01ZZZZZZZZZZZZZZZZZZZZZZZZ' })],
      ['another merchant’s terminal', 'not_found', 'otherApiKey', () => ({ terminalId: h.ids.terminalId })],
      ['another currency than the merchant takes', 'currency_mismatch', 'cashier', () => ({ currency: 'USD' })],
    ] as const)('refuses %s: %s', async (_, code, who, over) => {
      const input = { amount: 1_000, card: { number: TEST_CARDS.approved }, ...over() };
      expect(await codeOf(payments.createPayment(h.db, h.ctx, await actor(who), input))).toBe(code);
    });
  });

  describe('getPayment and listPayments', () => {
    it.each([
      ['owner', true],
      ['supervisor', true],
      ['cashier', true],
      ['reviewer', true],
      ['admin', true],
      ['agent', false],
      ['otherOwner', false],
      ['otherSupervisor', false],
      ['stranger', false],
    ] as const)('shows a sale to %s: %s (else not_found)', async (who, sees) => {
      const p = await sell();
      const read = payments.getPayment(h.db.kysely, await actor(who), p.id);
      if (sees) expect((await read).id).toBe(p.id);
      else expect(await codeOf(read)).toBe('not_found');
    });

    it('answers not_found for an unknown payment', async () => {
      expect(await codeOf(payments.getPayment(h.db.kysely, await actor('owner'), UNKNOWN))).toBe('not_found');
    });

    it('lists what the caller may see, newest first, and finds a sale by its reference', async () => {
      const p = await sell();
      const list = async (who: Who, filter = {}) =>
        (await payments.listPayments(h.db.kysely, await actor(who), { limit: 50, ...filter })).data.map((x) => x.id);
      expect((await list('owner'))[0]).toBe(p.id);
      expect(await list('cashier')).toContain(p.id);
      expect(await list('owner', { reference: p.reference })).toEqual([p.id]);
      expect(await list('otherOwner')).not.toContain(p.id);
      expect(await list('otherSupervisor')).not.toContain(p.id);
      expect(await list('agent')).toEqual([]);
    });

    it('proves a payment by its reference and card last 4, and answers nothing for either wrong', async () => {
      const p = await sell();
      expect((await payments.proveCustomerPayment(h.db.kysely, p.reference, '1111'))?.id).toBe(p.id);
      expect(await payments.proveCustomerPayment(h.db.kysely, p.reference, '0000')).toBeUndefined();
      expect(await payments.proveCustomerPayment(h.db.kysely, '999999999999', '1111')).toBeUndefined();
    });
  });

  describe('voidPayment', () => {
    const voidAs = async (who: Who, id: string, password: string | undefined = REFUND_PASSWORD) =>
      payments.voidPayment(h.db, h.ctx, await actor(who), id, password);

    it('voids a sale of the open batch with the refund password: nothing left to refund, journal, audit', async () => {
      const p = await sell(TEST_CARDS.approved, 2_600);
      const { value } = await voidAs('supervisor', p.id);
      expect(value).toMatchObject({ status: 'voided', voidedAmount: 2_600, refundableAmount: 0 });
      expect(value.voidedAt).toBe(h.clock.now().toISOString());
      const journal = await listJournal(h.db.kysely, await actor('owner'), h.ids.terminalId, { limit: 1 });
      expect(journal.data[0]).toMatchObject({ kind: 'void', paymentId: p.id, operatorCode: '00' });
      expect(await audited(p.id)).toContainEqual(['payment.voided', 'success']);
    });

    it('lets an API key void without a refund password', async () => {
      const p = await sell();
      expect((await voidAs('apiKey', p.id, undefined)).value.status).toBe('voided');
    });

    it('refuses the wrong refund password (refund_password_invalid), and the sale stays', async () => {
      const p = await sell();
      expect(await codeOf(voidAs('supervisor', p.id, '000001'))).toBe('refund_password_invalid');
      expect((await payments.getPayment(h.db.kysely, await actor('owner'), p.id)).status).toBe('approved');
    });

    it.each([
      ['an unknown payment', 'not_found', async () => UNKNOWN],
      [
        'another merchant’s sale',
        'not_found',
        async () => (await sell(TEST_CARDS.approved, 900, 'otherSupervisor')).id,
      ],
      ['a declined sale', 'payment_not_voidable', async () => (await sell(TEST_CARDS.declined)).id],
      [
        'a sale already voided',
        'payment_not_voidable',
        async () => {
          const p = await sell();
          await voidAs('supervisor', p.id);
          return p.id;
        },
      ],
      [
        'a sale with a refund',
        'payment_not_voidable',
        async () => {
          const p = await sell();
          const refund = { paymentId: p.id, amount: 100, reason: 'goods_returned' as const };
          await createCounterRefund(h.db, h.ctx, await actor('apiKey'), refund);
          return p.id;
        },
      ],
      [
        'a sale of a settled batch (refund it instead)',
        'payment_not_voidable',
        async () => (await h.sale(1_000, { settled: true })).id,
      ],
    ])('refuses %s: %s', async (_, code, paymentId) => {
      expect(await codeOf(voidAs('supervisor', await paymentId()))).toBe(code);
    });
  });

  describe('flagPayment', () => {
    it('lets the acquirer’s reviewer flag a payment and clear it, audited with the reason', async () => {
      const p = await sell();
      const reviewer = await actor('reviewer');
      const input = (flagged: boolean) => ({ flagged, reason: 'chargeback pattern' });
      expect((await payments.flagPayment(h.db, h.ctx, reviewer, p.id, input(true))).flagged).toBe(true);
      expect((await payments.flagPayment(h.db, h.ctx, reviewer, p.id, input(false))).flagged).toBe(false);
      expect(await audited(p.id)).toEqual(
        expect.arrayContaining([
          ['payment.flagged', 'success'],
          ['payment.unflagged', 'success'],
        ]),
      );
    });

    it.each([
      ['the merchant’s owner', 'forbidden', 'owner', 'sale'],
      ['a reviewer of another acquirer', 'not_found', 'stranger', 'sale'],
      ['an unknown payment', 'not_found', 'reviewer', 'unknown'],
    ] as const)('refuses %s: %s', async (_, code, who, what) => {
      const id = what === 'sale' ? (await sell()).id : UNKNOWN;
      const flag = payments.flagPayment(h.db, h.ctx, await actor(who), id, { flagged: true, reason: 'x' });
      expect(await codeOf(flag)).toBe(code);
    });
  });

  describe('moveRefundAmounts', () => {
    it('refuses a move that would break invariant 1, and the payment’s sums stay as they were', async () => {
      const p = await sell(TEST_CARDS.approved, 1_000);
      const move = (reserved: number) =>
        transaction(h.db, (trx) => payments.moveRefundAmounts(trx, p.id, { reserved, refunded: 0 }));
      await expect(move(1_001)).rejects.toThrow(/invariant 1/);
      await expect(move(-1)).rejects.toThrow(/invariant 1/);
      await move(1_000);
      const after = await payments.getPayment(h.db.kysely, await actor('owner'), p.id);
      expect(after).toMatchObject({ pendingRefundAmount: 1_000, refundableAmount: 0 });
    });

    it('finds no payment to lock under an unknown id', async () => {
      expect(await transaction(h.db, (trx) => payments.lockPayment(trx, UNKNOWN))).toBeUndefined();
    });
  });
});
