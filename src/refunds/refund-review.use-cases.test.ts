import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, REFUND_PASSWORD, useHarness } from '../../test/support/harness.js';
import { refundPolicyBody } from '../../test/support/refund-policy.js';
import { codeOf, type Who } from '../../test/support/use-cases.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import { DAY } from '../clock.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { refundFixtures } from './refund.fixtures.js';
import { createCounterRefund } from './refund.service.js';
import type { RefundPolicy } from './refund-policy.js';
import * as policies from './refund-policy.service.js';
import * as reviews from './refund-review.service.js';

const UNKNOWN_REFUND = 're_01ZZZZZZZZZZZZZZZZZZZZZZZZ';

/** The merchant's and the acquirer's reviews and the merchant's refund policy, called as services. */
describe.each(engines())('refund review use cases: merchant, acquirer, policy (%s)', (engine) => {
  let h: Harness;
  const f = refundFixtures(() => h);
  useHarness(engine, (opened) => (h = opened));

  type MerchantDecision = Parameters<typeof reviews.decideAsMerchant>[4];
  const approve = { decision: 'approve', refundPassword: REFUND_PASSWORD } as const;
  const asMerchant = async (who: Who, id: string, input: MerchantDecision, idem?: IdempotencyRequest) =>
    reviews.decideAsMerchant(h.db, h.ctx, await f.actor(who), id, input, idem);
  const asAcquirer = async (who: Who, id: string, decision: 'approve' | 'reject', idem?: IdempotencyRequest) =>
    reviews.decideAsAcquirer(h.db, h.ctx, await f.actor(who), id, { decision, reason: 'receipt checked' }, idem);

  describe('decideAsMerchant', () => {
    it('approves with the refund password and sends the request to the acquirer, whose rules finish it', async () => {
      const { id } = await f.customerRequest({}, { settled: true });
      const { value } = await asMerchant('supervisor', id, approve);
      expect(value).toMatchObject({ status: 'pending_acquirer', decisionReason: null });
      expect(value.timeline.at(-1)).toMatchObject({ from: 'pending_merchant', to: 'pending_acquirer' });
      await h.drain();
      expect((await f.refundOf(id)).status).toBe('succeeded');
    });

    it('rejects with a reason the customer reads, releasing the amount', async () => {
      const { id, payment } = await f.customerRequest();
      const { value } = await asMerchant('owner', id, { decision: 'reject', reason: 'goods were used' });
      expect(value).toMatchObject({ status: 'rejected_by_merchant', decisionReason: 'goods were used' });
      expect((await f.paymentOf(payment.id)).refundableAmount).toBe(10_000);
    });

    it('lets the merchant’s API key approve without a refund password', async () => {
      const { id } = await f.customerRequest();
      expect((await asMerchant('apiKey', id, { decision: 'approve' })).value.status).toBe('pending_acquirer');
    });

    it('answers a retried decision with its Idempotency-Key from the first', async () => {
      const { id } = await f.customerRequest();
      const idem: IdempotencyRequest = { scope: h.ids.merchantId, key: 'md-1', fingerprint: { d: 'approve' } };
      const first = await asMerchant('owner', id, approve, idem);
      expect(await asMerchant('owner', id, approve, idem)).toEqual({ value: first.value, replayed: true });
      const reject = { decision: 'reject', reason: 'changed my mind' } as const;
      expect(await codeOf(asMerchant('owner', id, reject, { ...idem, fingerprint: { d: 'reject' } }))).toBe(
        'idempotency_conflict',
      );
    });

    it.each<[string, string, Who, MerchantDecision, 'pending' | 'decided' | 'unknown']>([
      ['an unknown refund', 'not_found', 'owner', approve, 'unknown'],
      ['another merchant’s owner', 'not_found', 'otherOwner', approve, 'pending'],
      ['the acquirer’s reviewer', 'forbidden', 'reviewer', approve, 'pending'],
      ['a rejection without a reason', 'validation_failed', 'owner', { decision: 'reject', reason: '  ' }, 'pending'],
      [
        'an approval without the refund password',
        'refund_password_required',
        'owner',
        { decision: 'approve' },
        'pending',
      ],
      [
        'an approval with a wrong refund password',
        'refund_password_invalid',
        'supervisor',
        { decision: 'approve', refundPassword: '000001' },
        'pending',
      ],
      ['a request already decided', 'invalid_transition', 'owner', approve, 'decided'],
    ])('refuses %s: %s', async (_, code, who, input, state) => {
      const { id } = state === 'unknown' ? { id: UNKNOWN_REFUND } : await f.customerRequest();
      if (state === 'decided') await asMerchant('owner', id, { decision: 'reject', reason: 'worn' });
      expect(await codeOf(asMerchant(who, id, input))).toBe(code);
    });
  });

  describe('decideAsAcquirer and listManualReviews', () => {
    it('queues a refund the rules do not pass for the acquirer’s reviewers only', async () => {
      const { refund } = await f.queuedForReviewer();
      const queue = async (who: Who) =>
        (await reviews.listManualReviews(h.db.kysely, await f.actor(who), { limit: 100 })).data.map((r) => r.id);
      expect(await queue('reviewer')).toContain(refund.id);
      expect(await queue('stranger')).not.toContain(refund.id);
      expect(await queue('owner')).toEqual([]);
      expect(refund.timeline.at(-1)?.note).toBe('waiting for a reviewer: the sale is not settled yet');
    });

    it('approves a queued refund to processing by hand, and rejects another, releasing its amount', async () => {
      const approved = await f.queuedForReviewer();
      const { value } = await asAcquirer('reviewer', approved.refund.id, 'approve');
      expect(value).toMatchObject({
        status: 'processing',
        acquirerReview: 'manual',
        decisionReason: 'receipt checked',
      });
      const rejected = await f.queuedForReviewer();
      expect((await asAcquirer('reviewer', rejected.refund.id, 'reject')).value.status).toBe('rejected_by_acquirer');
      expect((await f.paymentOf(rejected.payment.id)).refundableAmount).toBe(10_000);
    });

    it('answers a retried decision with its Idempotency-Key from the first', async () => {
      const { refund } = await f.queuedForReviewer();
      const idem: IdempotencyRequest = { scope: 'usr_reviewer', key: 'ad-1', fingerprint: { d: 'approve' } };
      const first = await asAcquirer('reviewer', refund.id, 'approve', idem);
      expect(await asAcquirer('reviewer', refund.id, 'approve', idem)).toEqual({ value: first.value, replayed: true });
      expect(await codeOf(asAcquirer('reviewer', refund.id, 'reject', { ...idem, fingerprint: { d: 'x' } }))).toBe(
        'idempotency_conflict',
      );
    });

    it.each<[string, string, Who, 'queued' | 'pending_merchant']>([
      ['a reviewer of another acquirer', 'not_found', 'stranger', 'queued'],
      ['the merchant’s owner', 'forbidden', 'owner', 'queued'],
      ['a request still with the merchant', 'invalid_transition', 'reviewer', 'pending_merchant'],
    ])('refuses %s: %s', async (_, code, who, state) => {
      const { id } = state === 'queued' ? (await f.queuedForReviewer()).refund : await f.customerRequest();
      expect(await codeOf(asAcquirer(who, id, 'approve'))).toBe(code);
    });

    it('counts the refunds waiting for each review', async () => {
      const before = await reviews.countWaitingForReview(h.db.kysely);
      await f.customerRequest();
      await f.queuedForReviewer();
      const after = await reviews.countWaitingForReview(h.db.kysely);
      expect(after).toEqual({ merchant: before.merchant + 1, acquirer: before.acquirer + 1 });
    });
  });

  describe('setRefundPolicy and getRefundPolicyFor', () => {
    const policy = (over: Partial<RefundPolicy> = {}) =>
      refundPolicyBody(over) as Omit<RefundPolicy, 'merchantId' | 'updatedAt'>;
    const setAs = async (who: Who, over: Partial<RefundPolicy> = {}, merchantId = h.ids.merchantId) =>
      policies.setRefundPolicy(h.db, h.ctx, await f.actor(who), merchantId, policy(over));

    it('lets the owner set the policy, kept in its history and audited; the merchant’s people and acquirer read it', async () => {
      const before = h.clock.now().toISOString();
      h.clock.advance(1_000);
      const set = await setAs('owner', { windowDays: 60, reasons: ['goods_returned', 'goods_returned', 'other'] });
      expect(set).toMatchObject({
        windowDays: 60,
        reasons: ['goods_returned', 'other'],
        updatedAt: h.clock.now().toISOString(),
      });
      for (const who of ['supervisor', 'reviewer'] as const) {
        const read = await policies.getRefundPolicyFor(h.db.kysely, await f.actor(who), h.ids.merchantId);
        expect(read.windowDays).toBe(60);
      }
      expect((await policies.getRefundPolicyAt(h.db.kysely, h.ids.merchantId, before)).windowDays).toBe(180);
      const audit = await listAuditEvents(h.db, h.ctx, systemActor, {
        merchantId: h.ids.merchantId,
        action: 'refund_policy.updated',
        limit: 1,
      });
      expect(audit.data[0].details).toMatchObject({ windowDays: 60 });
      await setAs('owner');
    });

    it.each<[string, string, Who, Partial<RefundPolicy>]>([
      ['the supervisor', 'forbidden', 'supervisor', {}],
      ['the acquirer’s reviewer', 'forbidden', 'reviewer', {}],
      ['another merchant’s owner', 'not_found', 'otherOwner', {}],
      ['a policy accepting no reason', 'validation_failed', 'owner', { reasons: [] }],
    ])('refuses %s: %s', async (_, code, who, over) => {
      expect(await codeOf(setAs(who, over))).toBe(code);
    });

    it.each<Who>(['otherOwner', 'agent', 'stranger'])('hides the policy from %s: not_found', async (who) => {
      const read = policies.getRefundPolicyFor(h.db.kysely, await f.actor(who), h.ids.merchantId);
      expect(await codeOf(read)).toBe('not_found');
    });
  });
});

/**
 * The refund password guarding a refund and an approval locks after five wrong entries and expires
 * after 90 days: each on a fresh database, as a lock or a month's wait would spill into other tests.
 */
describe.each(engines())('the refund password of refund use cases: locked, expired (%s)', (engine) => {
  let h: Harness;
  const f = refundFixtures(() => h);
  useHarness(engine, (opened) => (h = opened), 'test');

  it.each([
    [
      'createCounterRefund',
      async (id: string, refundPassword?: string) => {
        const input = { paymentId: id, amount: 1_000, reason: 'goods_returned' as const, refundPassword };
        return createCounterRefund(h.db, h.ctx, await f.actor('supervisor'), input);
      },
    ],
    [
      'decideAsMerchant',
      async (id: string, refundPassword?: string) =>
        reviews.decideAsMerchant(h.db, h.ctx, await f.actor('supervisor'), id, { decision: 'approve', refundPassword }),
    ],
  ])('%s: locked at the fifth wrong refund password, expired once 90 days old', async (name, attempt) => {
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const request = await f.customerRequest();
      ids.push(name === 'createCounterRefund' ? request.payment.id : request.id);
    }
    for (let i = 0; i < 4; i++) expect(await codeOf(attempt(ids[0], '000001'))).toBe('refund_password_invalid');
    expect(await codeOf(attempt(ids[0], '000001'))).toBe('locked');
    expect(await codeOf(attempt(ids[0], REFUND_PASSWORD))).toBe('locked');
    h.clock.advance(91 * DAY);
    expect(await codeOf(attempt(ids[1], REFUND_PASSWORD))).toBe('refund_password_expired');
  });
});
