import { afterEach, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, useHarness } from '../../test/support/harness.js';
import { codeOf } from '../../test/support/use-cases.js';
import { DAY } from '../clock.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { TEST_CARDS } from '../payments/processor.js';
import * as customer from './customer-request.service.js';
import { CUSTOMER, customerInput, refundFixtures } from './refund.fixtures.js';
import * as repo from './refund.repository.js';
import { decideAsMerchant } from './refund-review.service.js';

const UNKNOWN_REFUND = 're_01ZZZZZZZZZZZZZZZZZZZZZZZZ';

/** The customer's side of a refund, called as services: ask, track, withdraw, with their errors. */
describe.each(engines())('customer refund use cases: request, track, cancel (%s)', (engine) => {
  let h: Harness;
  const f = refundFixtures(() => h);
  useHarness(engine, (opened) => (h = opened));

  const ask = (input: customer.CustomerRequestInput, idem?: IdempotencyRequest, ip = f.nextIp()) =>
    customer.requestRefund(h.db, h.ctx, ip, input, idem);

  describe('requestRefund', () => {
    it('reserves the amount and waits for the merchant, answering a tracking link whose secret is stored only hashed', async () => {
      const sale = await f.sale();
      const { value, replayed } = await ask(customerInput(sale));
      expect(replayed).toBe(false);
      expect(value.status).toBe('pending_merchant');
      expect(value.trackingUrl).toContain(value.id);
      expect(value.trackingUrl.endsWith(`#${value.trackingSecret}`)).toBe(true);
      expect(await f.paymentOf(sale.id)).toMatchObject({ pendingRefundAmount: 2_000, refundableAmount: 8_000 });
      const row = await repo.findRefundRow(h.db.kysely, value.id);
      expect(row).toMatchObject({ channel: 'customer', customer_email: CUSTOMER, customer_language: 'en' });
      expect(row?.tracking_secret_hash).toBe(sha256Hex(value.trackingSecret));
      expect(row?.merchant_deadline_at).toBe(new Date(h.clock.now().getTime() + 48 * 3_600_000).toISOString());
    });

    it('answers a retried request with its Idempotency-Key from the first, tracking secret included', async () => {
      const sale = await f.sale();
      const idem: IdempotencyRequest = { scope: `public:${sale.reference}`, key: 'phone-1', fingerprint: { a: 1 } };
      const first = await ask(customerInput(sale), idem);
      const again = await ask(customerInput(sale), idem);
      expect(again).toEqual({ value: first.value, replayed: true });
      expect((await f.paymentOf(sale.id)).pendingRefundAmount).toBe(2_000);
      const changed = ask(customerInput(sale, { amount: 2_001 }), { ...idem, fingerprint: { a: 2 } });
      expect(await codeOf(changed)).toBe('idempotency_conflict');
    });

    it.each([
      ['a wrong card last 4', 'payment_not_matched', { cardLast4: '0000' }, {}],
      ['an unknown reference', 'payment_not_matched', { paymentReference: '999999999999' }, {}],
      ['more than is refundable', 'refund_exceeds_refundable', { amount: 10_001 }, {}],
      ['a declined sale', 'payment_not_refundable', {}, { card: TEST_CARDS.declined }],
    ])('refuses %s: %s, reserving nothing', async (_, code, over, saleOpts) => {
      const sale = await f.sale(10_000, saleOpts);
      expect(await codeOf(ask(customerInput(sale, over)))).toBe(code);
      expect((await f.paymentOf(sale.id)).pendingRefundAmount).toBe(0);
    });

    it('limits the attempts on one reference to 10 an hour, whatever the address', async () => {
      const sale = await f.sale();
      const wrong = customerInput(sale, { cardLast4: '0000' });
      for (let i = 0; i < 10; i++) expect(await codeOf(ask(wrong))).toBe('payment_not_matched');
      expect(await codeOf(ask(customerInput(sale)))).toBe('rate_limited');
    });

    it('limits one address to 30 requests in ten minutes, whatever the reference', async () => {
      const sale = await f.sale();
      const ip = f.nextIp();
      for (let i = 0; i < 30; i++) {
        const probe = customerInput(sale, { paymentReference: String(100_000_000_000 + i) });
        expect(await codeOf(ask(probe, undefined, ip))).toBe('payment_not_matched');
      }
      expect(await codeOf(ask(customerInput(sale), undefined, ip))).toBe('rate_limited');
    });
  });

  describe('requestRefund under the merchant’s policy', () => {
    afterEach(() => f.setPolicy());

    it('approves a small amount at the merchant by policy and sends it to the acquirer', async () => {
      await f.setPolicy({ merchantAutoApproveUpTo: 3_000 });
      const { value } = await ask(customerInput(await f.sale()));
      expect(value.status).toBe('pending_acquirer');
    });

    it.each([
      ['a partial refund', 'partial_refund_not_allowed', { amount: 5_000 }, 0],
      ['a reason the merchant does not accept', 'refund_reason_not_accepted', { reason: 'other' as const }, 0],
      ['a sale older than the window', 'refund_window_expired', { amount: 10_000 }, 31 * DAY],
    ])('refuses %s: %s', async (_, code, over, later) => {
      await f.setPolicy({ windowDays: 30, partialAllowed: false, reasons: ['goods_returned', 'payment_failure'] });
      const sale = await f.sale();
      h.clock.advance(later);
      h.forgetTokens(); // sessions expire over a month
      expect(await codeOf(ask(customerInput(sale, { amount: 10_000, ...over })))).toBe(code);
    });
  });

  describe('trackRefund, findRefundForCustomer and cancelByCustomer', () => {
    const track = (id: string, proof: customer.CustomerProof, ip = f.nextIp()) =>
      customer.trackRefund(h.db, h.ctx, ip, id, proof, undefined);

    it('shows the refund for its tracking secret or the contact given, in the language the customer chose', async () => {
      const { id, trackingSecret } = await f.customerRequest({ contact: { phone: '+86 138-0013-8000' } });
      const view = await track(id, { secret: trackingSecret });
      expect(view).toMatchObject({ id, status: 'pending_merchant', amountText: '20.00 CNY', disputeAllowed: false });
      expect(view.timeline[0].text).toBe('Request received; waiting for the merchant’s review');
      expect((await track(id, { contact: '8613800138000' })).id).toBe(id);
      expect((await customer.findRefundForCustomer(h.db.kysely, id, trackingSecret))?.id).toBe(id);
      expect(await customer.findRefundForCustomer(h.db.kysely, id, 'not-the-secret')).toBeUndefined();
    });

    it.each([
      ['a wrong secret', 'known', { secret: 'not-the-secret' }],
      ['a wrong contact', 'known', { contact: 'someone@example.cn' }],
      ['an unknown refund', 'unknown', { secret: 'not-the-secret' }],
    ] as const)('answers not_found for %s', async (_, which, proof) => {
      const { id } = await f.customerRequest();
      expect(await codeOf(track(which === 'known' ? id : UNKNOWN_REFUND, proof))).toBe('not_found');
    });

    it('limits one address to 120 lookups in ten minutes', async () => {
      const { id, trackingSecret } = await f.customerRequest();
      const ip = f.nextIp();
      for (let i = 0; i < 120; i++) await track(id, { secret: trackingSecret }, ip);
      expect(await codeOf(track(id, { secret: trackingSecret }, ip))).toBe('rate_limited');
    });

    it('lets the customer withdraw a request the merchant has not answered, releasing the amount', async () => {
      const { id, trackingSecret, payment } = await f.customerRequest();
      const view = await customer.cancelByCustomer(h.db, h.ctx, f.nextIp(), id, trackingSecret, 'en');
      expect(view.status).toBe('canceled');
      expect((await f.paymentOf(payment.id)).refundableAmount).toBe(10_000);
    });

    it.each([
      ['a wrong secret', 'not_found', 'pending'],
      ['a request already withdrawn', 'invalid_transition', 'withdrawn'],
      ['a request the merchant answered', 'invalid_transition', 'answered'],
    ] as const)('refuses %s: %s', async (_, code, state) => {
      const { id, trackingSecret } = await f.customerRequest();
      if (state === 'withdrawn') await customer.cancelByCustomer(h.db, h.ctx, f.nextIp(), id, trackingSecret);
      if (state === 'answered') {
        const owner = await f.actor('owner');
        await decideAsMerchant(h.db, h.ctx, owner, id, { decision: 'reject', reason: 'worn' });
      }
      const secret = state === 'pending' ? 'not-the-secret' : trackingSecret;
      expect(await codeOf(customer.cancelByCustomer(h.db, h.ctx, f.nextIp(), id, secret))).toBe(code);
    });
  });
});
