import { expect } from 'vitest';
import { type Harness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { codeOf, demoActors, type Who } from '../../test/support/use-cases.js';
import { closeDispute } from './close-dispute.js';
import { disputeRequests } from './dispute.http-fixtures.js';
import type { DisputeCaller } from './dispute-access.js';
import { escalate } from './escalation.js';
import { openPaymentDispute, openRefundDispute } from './open-dispute.js';
import { decide } from './ruling.js';

/**
 * Disputes in each state, made through the use cases themselves, for the service-level tests.
 * Customers act from addresses of their own (`nextIp`), so the rate limits of one test never meet
 * another's.
 */

export { codeOf, type Who };

export function disputeFixtures(harness: () => Harness) {
  let ipSeq = 0;
  const nextIp = () => `192.0.2.${++ipSeq}`;
  const http = disputeRequests(harness);

  /** The signed-in person as the routes hand it to the use cases, with the address it acts from. */
  const actor = demoActors(harness);
  const staff = async (who: Who): Promise<DisputeCaller> => ({ kind: 'staff', actor: await actor(who) });
  const customer = (secret: string | undefined, ip = nextIp()): DisputeCaller => ({ kind: 'customer', secret, ip });

  /** A customer's refund request on a new sale, as the customer's page makes it (pending the merchant). */
  const customerRefund = (amount?: number) => http.customerRefund(nextIp(), amount);
  /** The same, rejected by the merchant: a dispute on it may escalate at once. */
  async function rejectedRefund(amount?: number) {
    const c = await customerRefund(amount);
    await http.rejectRefund(c.refundId);
    return c;
  }

  /** A negotiating dispute on a rejected refund: the customer may escalate at once. */
  async function negotiating(amount?: number) {
    const h = harness();
    const c = await rejectedRefund(amount);
    const opened = await openRefundDispute(h.db, h.ctx, nextIp(), {
      refundId: c.refundId,
      trackingSecret: c.secret,
      description: 'I do not agree',
    });
    return { ...c, id: opened.id, caller: customer(c.secret) };
  }

  /** A negotiating dispute on a payment without a refund, proven by its access secret. */
  async function onPayment(saleAmount = 10_000) {
    const h = harness();
    const sale = await h.sale(saleAmount);
    const opened = await openPaymentDispute(h.db, h.ctx, nextIp(), {
      paymentReference: sale.reference as string,
      cardLast4: (sale.card as { last4: string }).last4,
      description: 'charged twice',
      contact: { phone: '13800138000' },
    });
    const secret = opened.accessSecret as string;
    return { sale, id: opened.id, secret, url: opened.disputeUrl, caller: customer(secret) };
  }

  async function escalated(amount?: number) {
    const d = await negotiating(amount);
    await escalate(harness().db, harness().ctx, d.caller, d.id, 'no answer');
    return d;
  }

  async function ruledForMerchant() {
    const d = await escalated();
    const h = harness();
    await decide(h.db, h.ctx, await actor('reviewer'), d.id, { outcome: 'resolved_for_merchant', ruling: 'worn' });
    return d;
  }

  async function closed() {
    const d = await negotiating();
    await closeDispute(harness().db, harness().ctx, d.caller, d.id, { outcome: 'withdrawn' });
    return d;
  }

  /** Voids a sale of the open batch (a payment that took no money). */
  async function voidSale(paymentId: string) {
    const h = harness();
    const r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${paymentId}/void`,
      headers: await h.operator('supervisor'),
      payload: { refundPassword: REFUND_PASSWORD },
    });
    expect(r.statusCode, r.body).toBe(200);
  }

  return {
    nextIp,
    actor,
    staff,
    customer,
    customerRefund,
    rejectedRefund,
    negotiating,
    onPayment,
    escalated,
    ruledForMerchant,
    closed,
    voidSale,
  };
}
