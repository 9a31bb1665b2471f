import { expect } from 'vitest';
import type { Harness } from '../../test/support/harness.js';
import { refundPolicyBody } from '../../test/support/refund-policy.js';
import { demoActors } from '../../test/support/use-cases.js';
import type { Payment } from '../payments/payment.js';
import * as payments from '../payments/payment.service.js';
import { TEST_CARDS } from '../payments/processor.js';
import { settleTerminal } from '../payments/settlement.service.js';
import { type CustomerRequestInput, requestRefund } from './customer-request.service.js';
import { createCounterRefund, getRefund } from './refund.service.js';
import type { RefundPolicy } from './refund-policy.js';
import { setRefundPolicy } from './refund-policy.service.js';

/**
 * Refunds in each state, made through the use cases themselves, for the service-level tests of
 * refunds. Customers act from addresses of their own (`nextIp`), so the rate limits of one test
 * never meet another's.
 */

export const CUSTOMER = 'li.lei@example.cn';

/** What the customer types in: the receipt's reference and card, and 20.00 CNY by default. */
export const customerInput = (
  sale: Pick<Payment, 'reference' | 'card'>,
  over: Partial<CustomerRequestInput> = {},
): CustomerRequestInput => ({
  paymentReference: sale.reference,
  cardLast4: sale.card.last4,
  amount: 2_000,
  reason: 'goods_returned',
  description: '尺码不合适，已退回商品',
  contact: { email: CUSTOMER },
  language: 'en',
  ...over,
});

export function refundFixtures(harness: () => Harness) {
  let ipSeq = 0;
  const nextIp = () => `198.18.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 1}`;
  const actor = demoActors(harness);

  /**
   * A sale at the demo terminal; `settled` then settles the terminal's batch, as the acquirer's
   * rules approve refunds of settled sales only.
   */
  async function sale(amount = 10_000, opts: { card?: string; settled?: boolean } = {}): Promise<Payment> {
    const h = harness();
    const card = { number: opts.card ?? TEST_CARDS.approved };
    const { value } = await payments.createPayment(h.db, h.ctx, await actor('cashier'), { amount, card });
    if (opts.settled) await settleTerminal(h.db, h.ctx, await actor('supervisor'), h.ids.terminalId);
    return value;
  }

  /** A customer's request on a new sale: waiting for the merchant, under the default policy. */
  async function customerRequest(over: Partial<CustomerRequestInput> = {}, saleOpts = {}) {
    const h = harness();
    const payment = await sale(10_000, saleOpts);
    const { value } = await requestRefund(h.db, h.ctx, nextIp(), customerInput(payment, over));
    return { payment, ...value };
  }

  /** A refund by the merchant's API key (no password): waiting for the acquirer's review job. */
  async function counterRefund(payment: Payment, amount = 3_000) {
    const h = harness();
    const input = { paymentId: payment.id, amount, reason: 'goods_returned' as const };
    return (await createCounterRefund(h.db, h.ctx, await actor('apiKey'), input)).value;
  }

  /** A refund of an unsettled sale, which the acquirer's rules leave to a reviewer. */
  async function queuedForReviewer() {
    const payment = await sale();
    const refund = await counterRefund(payment);
    await harness().drain();
    const queued = await refundOf(refund.id);
    expect(queued).toMatchObject({ status: 'pending_acquirer', acquirerReview: 'manual' });
    return { payment, refund: queued };
  }

  /** A refund of a settled sale to `card`, once the processor answered its first attempt. */
  async function processed(card: string) {
    const payment = await sale(10_000, { card, settled: true });
    const refund = await counterRefund(payment);
    await harness().drain();
    return { payment, refund: await refundOf(refund.id) };
  }
  /** Failed at the processor, and may still be retried: it keeps its amount. */
  const failedOnce = () => processed(TEST_CARDS.refundFailsOnceProcessorError);
  /** Failed for good (card closed): its amount is released. */
  const failedForGood = () => processed(TEST_CARDS.refundFailsCardClosed);

  const refundOf = async (id: string) => getRefund(harness().db.kysely, await actor('owner'), id);
  const paymentOf = async (id: string) => payments.getPayment(harness().db.kysely, await actor('owner'), id);

  /** Sets the demo merchant's refund policy: the platform defaults with `over` on top. */
  async function setPolicy(over: Partial<RefundPolicy> = {}) {
    const h = harness();
    const policy = refundPolicyBody(over) as Omit<RefundPolicy, 'merchantId' | 'updatedAt'>;
    return setRefundPolicy(h.db, h.ctx, await actor('owner'), h.ids.merchantId, policy);
  }

  return {
    nextIp,
    actor,
    sale,
    customerRequest,
    counterRefund,
    queuedForReviewer,
    failedOnce,
    failedForGood,
    refundOf,
    paymentOf,
    setPolicy,
  };
}
