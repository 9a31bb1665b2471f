import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, REFUND_PASSWORD, useHarness } from '../../test/support/harness.js';
import { codeOf, type Who } from '../../test/support/use-cases.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { listJournal } from '../payments/journal.service.js';
import * as payments from '../payments/payment.service.js';
import { TEST_CARDS } from '../payments/processor.js';
import { refundFixtures } from './refund.fixtures.js';
import * as refunds from './refund.service.js';

const UNKNOWN_PAYMENT = 'pay_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
const DISPUTE = 'dp_01TESTTESTTESTTESTTESTTEST';

/** The merchant's refunds, called as services: create, read, cancel, retry, and a ruling's refund. */
describe.each(engines())('refund use cases: counter refund, read, cancel, retry, ruling (%s)', (engine) => {
  let h: Harness;
  const f = refundFixtures(() => h);
  useHarness(engine, (opened) => (h = opened));

  const refundAs = async (who: Who, input: Partial<refunds.CounterRefundInput>, idem?: IdempotencyRequest) => {
    const body = { paymentId: UNKNOWN_PAYMENT, amount: 1_000, reason: 'goods_returned' as const, ...input };
    return refunds.createCounterRefund(h.db, h.ctx, await f.actor(who), body, idem);
  };

  describe('createCounterRefund', () => {
    it('reserves the amount at the counter, joins the refunding terminal’s journal, and goes to the acquirer', async () => {
      const sale = await f.sale(10_000, { settled: true });
      const { value, replayed } = await refundAs('supervisor', {
        paymentId: sale.id,
        amount: 3_000,
        refundPassword: REFUND_PASSWORD,
      });
      expect(replayed).toBe(false);
      expect(value).toMatchObject({ status: 'pending_acquirer', channel: 'counter', amount: 3_000, currency: 'CNY' });
      expect(await f.paymentOf(sale.id)).toMatchObject({ pendingRefundAmount: 3_000, refundableAmount: 7_000 });
      const journal = await listJournal(h.db.kysely, await f.actor('owner'), h.ids.terminalId, { limit: 1 });
      expect(journal.data[0]).toMatchObject({ kind: 'refund', refundId: value.id, amount: 3_000, operatorCode: '00' });
      await h.drain();
      expect(await f.refundOf(value.id)).toMatchObject({ status: 'succeeded', acquirerReview: 'auto' });
      expect(await f.paymentOf(sale.id)).toMatchObject({ refundedAmount: 3_000, pendingRefundAmount: 0 });
    });

    it.each([
      ['owner', 'console', REFUND_PASSWORD],
      ['apiKey', 'api', undefined],
    ] as const)('names the channel by who asks: %s → %s', async (who, channel, refundPassword) => {
      const sale = await f.sale();
      const { value } = await refundAs(who, { paymentId: sale.id, refundPassword });
      expect(value.channel).toBe(channel);
    });

    it('answers a retried request with its Idempotency-Key from the first: one reservation', async () => {
      const sale = await f.sale();
      const idem: IdempotencyRequest = { scope: h.ids.merchantId, key: 'counter-1', fingerprint: { amount: 1_000 } };
      const first = await refundAs('apiKey', { paymentId: sale.id }, idem);
      expect(await refundAs('apiKey', { paymentId: sale.id }, idem)).toEqual({ value: first.value, replayed: true });
      expect((await f.paymentOf(sale.id)).pendingRefundAmount).toBe(1_000);
      const changed = { ...idem, fingerprint: { amount: 1_001 } };
      expect(await codeOf(refundAs('apiKey', { paymentId: sale.id, amount: 1_001 }, changed))).toBe(
        'idempotency_conflict',
      );
    });

    it.each<[string, string, Who, (sale: { id: string }) => Partial<refunds.CounterRefundInput>]>([
      ['an unknown payment', 'not_found', 'owner', () => ({ refundPassword: REFUND_PASSWORD })],
      ['another merchant’s payment', 'not_found', 'otherOwner', (s) => ({ paymentId: s.id, refundPassword: 'x' })],
      ['another merchant’s payment, by API key', 'not_found', 'otherApiKey', (s) => ({ paymentId: s.id })],
      ['no refund password', 'refund_password_required', 'supervisor', (s) => ({ paymentId: s.id })],
      [
        'a wrong refund password',
        'refund_password_invalid',
        'supervisor',
        (s) => ({ paymentId: s.id, refundPassword: '000001' }),
      ],
      ['another currency', 'currency_mismatch', 'apiKey', (s) => ({ paymentId: s.id, currency: 'USD' })],
      ['more than is refundable', 'refund_exceeds_refundable', 'apiKey', (s) => ({ paymentId: s.id, amount: 10_001 })],
    ])('refuses %s: %s', async (_, code, who, input) => {
      const sale = await f.sale();
      expect(await codeOf(refundAs(who, input(sale)))).toBe(code);
      expect((await f.paymentOf(sale.id)).pendingRefundAmount).toBe(0);
    });

    it.each([
      ['a declined sale', TEST_CARDS.declined],
      ['a voided sale', 'voided'],
    ])('refuses %s: payment_not_refundable', async (_, card) => {
      const sale = await f.sale(10_000, { card: card === 'voided' ? TEST_CARDS.approved : card });
      if (card === 'voided') await payments.voidPayment(h.db, h.ctx, await f.actor('apiKey'), sale.id, undefined);
      expect(await codeOf(refundAs('apiKey', { paymentId: sale.id, amount: 1 }))).toBe('payment_not_refundable');
    });
  });

  describe('getRefund, listRefunds and getRefundReceipt', () => {
    it.each<[Who, boolean]>([
      ['owner', true],
      ['supervisor', true],
      ['reviewer', true],
      ['admin', true],
      ['agent', false],
      ['otherOwner', false],
      ['stranger', false],
    ])('shows a refund to %s: %s (else not_found)', async (who, sees) => {
      const refund = await f.counterRefund(await f.sale());
      const read = refunds.getRefund(h.db.kysely, await f.actor(who), refund.id);
      if (sees) expect((await read).id).toBe(refund.id);
      else expect(await codeOf(read)).toBe('not_found');
      const receipt = refunds.getRefundReceipt(h.db.kysely, await f.actor(who), refund.id);
      if (sees) expect((await receipt).kind).toBe('refund');
      else expect(await codeOf(receipt)).toBe('not_found');
    });

    it('lists a payment’s refunds to those who may see them', async () => {
      const sale = await f.sale();
      const refund = await f.counterRefund(sale);
      const list = async (who: Who) =>
        (await refunds.listRefunds(h.db.kysely, await f.actor(who), { limit: 10, paymentId: sale.id })).data;
      expect((await list('owner')).map((r) => r.id)).toEqual([refund.id]);
      expect((await list('reviewer')).map((r) => r.id)).toEqual([refund.id]);
      expect(await list('otherOwner')).toEqual([]);
      expect(await list('agent')).toEqual([]);
      expect((await refunds.listRefundsOfPayment(h.db.kysely, sale.id)).map((r) => r.id)).toEqual([refund.id]);
    });
  });

  describe('cancelRefund', () => {
    it('lets the merchant cancel while the acquirer has not decided, releasing the amount', async () => {
      const { payment, refund } = await f.queuedForReviewer();
      const canceled = await refunds.cancelRefund(h.db, h.ctx, await f.actor('supervisor'), refund.id, 'kept it');
      expect(canceled.status).toBe('canceled');
      expect(canceled.timeline.at(-1)).toMatchObject({ from: 'pending_acquirer', to: 'canceled', note: 'kept it' });
      expect((await f.paymentOf(payment.id)).refundableAmount).toBe(10_000);
    });

    it.each<[string, string, Who, () => Promise<{ id: string }>]>([
      ['another merchant’s owner', 'not_found', 'otherOwner', async () => (await f.queuedForReviewer()).refund],
      ['the acquirer’s reviewer', 'forbidden', 'reviewer', async () => (await f.queuedForReviewer()).refund],
      ['a request the merchant has not answered', 'invalid_transition', 'owner', () => f.customerRequest()],
      [
        'a refund that failed at the processor',
        'invalid_transition',
        'owner',
        async () => (await f.failedOnce()).refund,
      ],
    ])('refuses %s: %s', async (_, code, who, refund) => {
      const { id } = await refund();
      expect(await codeOf(refunds.cancelRefund(h.db, h.ctx, await f.actor(who), id))).toBe(code);
    });
  });

  describe('retryRefund', () => {
    it('sends a refund that failed but may be retried back to processing, keeping its reservation', async () => {
      const { payment, refund } = await f.failedOnce();
      expect(refund).toMatchObject({ status: 'failed', failureReason: 'processor_error', failureFinal: false });
      expect((await f.paymentOf(payment.id)).refundableAmount).toBe(7_000);
      const idem: IdempotencyRequest = { scope: h.ids.merchantId, key: 'retry-1', fingerprint: {} };
      const owner = await f.actor('owner');
      const retried = await refunds.retryRefund(h.db, h.ctx, owner, refund.id, idem);
      expect(retried.value.status).toBe('processing');
      expect(await refunds.retryRefund(h.db, h.ctx, owner, refund.id, idem)).toEqual({ ...retried, replayed: true });
      const conflict = refunds.retryRefund(h.db, h.ctx, owner, refund.id, { ...idem, fingerprint: { again: 1 } });
      expect(await codeOf(conflict)).toBe('idempotency_conflict');
      await h.drain();
      expect((await f.refundOf(refund.id)).status).toBe('succeeded');
      expect(await f.paymentOf(payment.id)).toMatchObject({ refundedAmount: 3_000, refundableAmount: 7_000 });
    });

    it.each<[string, string, Who, () => Promise<{ refund: { id: string } }>]>([
      ['another merchant’s owner', 'not_found', 'otherOwner', f.failedOnce],
      ['a refund that has not failed', 'invalid_transition', 'owner', f.queuedForReviewer],
      ['a refund that failed for good', 'refund_failure_final', 'reviewer', f.failedForGood],
    ])('refuses %s: %s', async (_, code, who, made) => {
      const { refund } = await made();
      expect(await codeOf(refunds.retryRefund(h.db, h.ctx, await f.actor(who), refund.id))).toBe(code);
    });
  });

  describe('forceRefundForDispute', () => {
    const rule = (paymentId: string, amount: number, supersedes?: string) =>
      refunds.forceRefundForDispute(h.db, h.ctx, {
        paymentId,
        amount,
        reason: 'service_complaint',
        disputeId: DISPUTE,
        actor: { kind: 'user', id: 'usr_reviewer' },
        supersedes,
      });

    it('makes the ruling’s refund straight to processing, bounded by what is still refundable', async () => {
      const sale = await f.sale(10_000, { settled: true });
      await f.counterRefund(sale, 4_000);
      const ruled = await rule(sale.id, 9_000);
      expect(ruled).toMatchObject({ status: 'processing', amount: 6_000, acquirerReview: 'manual' });
      expect(ruled.timeline.at(-1)?.note).toBe(`approved by the ruling of dispute ${DISPUTE}`);
      expect(await codeOf(rule(sale.id, 1))).toBe('refund_exceeds_refundable');
    });

    it('releases the disputed refund that failed but still held its amount, and takes that amount', async () => {
      const { payment, refund } = await f.failedOnce();
      const ruled = await rule(payment.id, 10_000, refund.id);
      expect(ruled.amount).toBe(10_000);
      expect(await f.refundOf(refund.id)).toMatchObject({ status: 'failed', failureFinal: true });
    });

    it('refuses an unknown payment: not_found', async () => {
      expect(await codeOf(rule(UNKNOWN_PAYMENT, 1_000))).toBe('not_found');
    });
  });
});
