import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../../test/support/harness.js';
import { DAY } from '../clock.js';
import { drainJobs } from '../jobs/job.service.js';
import { findPaymentById } from '../payments/payment.service.js';
import { manualReviewReasons, type ReviewFacts } from '../refunds/refund.jobs.js';
import { getRefundPolicy } from '../refunds/refund-policy.service.js';
import { acquirerRules } from '../wiring.js';
import { getCaseFile, getSharedCaseFile } from './case-file.service.js';
import { closeDispute } from './close-dispute.js';
import { codeOf, disputeFixtures } from './dispute.fixtures.js';
import { disputeAcquirerRules as rules } from './dispute.handlers.js';
import * as repo from './dispute.repository.js';
import { recordMissedMediation } from './escalation.js';
import { orderRefundIfMissing } from './ordered-refund.js';
import { rateResolution } from './rate-resolution.js';
import { refer } from './referral.js';
import { decide } from './ruling.js';

/** The use cases after escalation — ruling, referral, closing, rating, case files, jobs — and their errors. */
describe.each(engines())('dispute use cases: rule, refer, close, rate (%s)', (engine) => {
  let h: Harness;
  const f = disputeFixtures(() => h);

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  describe('decide', () => {
    it('rules for the customer with the disputed amount and orders that refund once', async () => {
      const d = await f.escalated(4_000);
      const reviewer = await f.actor('reviewer');
      const ruled = await decide(h.db, h.ctx, reviewer, d.id, { outcome: 'resolved_for_customer', ruling: 'refund' });
      expect(ruled.replayed).toBe(false);
      expect(ruled.value.dispute.ruling).toMatchObject({ outcome: 'resolved_for_customer', amount: 4_000 });
      expect(ruled.value.refund?.amount).toBe(4_000);
      expect(ruled.value.dispute.ruling?.forcedRefundId).toBe(ruled.value.refund?.id);
      // The safety-net job finds the refund made: nothing more.
      await orderRefundIfMissing(h.db, h.ctx, d.id);
      await drainJobs(h.db, h.ctx);
      const events = await repo.listEventRows(h.db.kysely, d.id);
      expect(events.filter((e) => e.kind === 'refund_ordered')).toHaveLength(1);
    });

    it('bounds the amount asked by what is refundable, and replays an Idempotency-Key', async () => {
      const d = await f.escalated(4_000);
      const reviewer = await f.actor('reviewer');
      const key = { scope: `test:${d.id}`, key: 'k1', fingerprint: { id: d.id } };
      const input = { outcome: 'resolved_for_customer' as const, ruling: 'all of it', amount: 999_999 };
      const first = await decide(h.db, h.ctx, reviewer, d.id, input, key);
      expect(first.value.refund?.amount).toBe(10_000);
      const again = await decide(h.db, h.ctx, reviewer, d.id, input, key);
      expect(again).toMatchObject({ replayed: true, value: { refund: { id: first.value.refund?.id } } });
      const other = decide(h.db, h.ctx, reviewer, d.id, { ...input, amount: 1 }, { ...key, fingerprint: { id: 'x' } });
      expect(await codeOf(other)).toBe('idempotency_conflict');
    });

    it('commits the ruling and the refund it orders together: a twin sent at once answers the same refund', async () => {
      const d = await f.escalated(3_000);
      const reviewer = await f.actor('reviewer');
      const key = { scope: `test:${d.id}`, key: 'twin', fingerprint: { id: d.id } };
      const input = { outcome: 'resolved_for_customer' as const, ruling: 'refund' };
      const [a, b] = await Promise.all([
        decide(h.db, h.ctx, reviewer, d.id, input, key),
        decide(h.db, h.ctx, reviewer, d.id, input, key),
      ]);
      expect(a.value.refund?.id).toBeTruthy();
      expect(b.value.refund?.id).toBe(a.value.refund?.id);
      expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
      const row = await repo.findDisputeRow(h.db.kysely, d.id);
      expect(row?.forced_refund_id).toBe(a.value.refund?.id);
      expect(row?.force_claimed_until).toBeNull(); // no lease: nothing was left for a job to do
    });

    it.each([
      ['the merchant', 'forbidden', 'owner', 'escalated'],
      ['a reviewer of another acquirer', 'not_found', 'stranger', 'escalated'],
      ['a dispute not escalated', 'invalid_transition', 'reviewer', 'negotiating'],
      ['a dispute ruled already', 'invalid_transition', 'reviewer', 'ruled'],
    ] as const)('refuses a ruling by %s: %s', async (_, code, who, state) => {
      const d =
        state === 'negotiating'
          ? await f.negotiating()
          : state === 'ruled'
            ? await f.ruledForMerchant()
            : await f.escalated();
      const p = decide(h.db, h.ctx, await f.actor(who), d.id, { outcome: 'resolved_for_merchant', ruling: 'x' });
      expect(await codeOf(p)).toBe(code);
    });

    it('refuses a ruling for the customer when nothing is left to refund, and changes nothing', async () => {
      const d = await f.escalated();
      // The merchant refunds the whole sale meanwhile (held for the acquirer: the payment is disputed).
      const counter = await h.app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: await h.operator('cashier'),
        payload: { paymentId: d.sale.id, amount: 10_000, reason: 'other', refundPassword: REFUND_PASSWORD },
      });
      expect(counter.statusCode, counter.body).toBe(201);
      const p = decide(h.db, h.ctx, await f.actor('reviewer'), d.id, { outcome: 'resolved_for_customer', ruling: 'x' });
      expect(await codeOf(p)).toBe('refund_exceeds_refundable');
      expect((await repo.findDisputeRow(h.db.kysely, d.id))?.status).toBe('escalated');
    });
  });

  describe('the acquirer rule no_open_dispute', () => {
    it('sends a refund of a payment under dispute to a person, and lets it pass once the dispute is closed', async () => {
      const d = await f.onPayment();
      const payment = await findPaymentById(h.db.kysely, d.sale.id);
      const facts = {
        refund: { paymentId: d.sale.id, merchantId: h.ids.merchantId, amount: 1, reason: 'other' },
        payment,
        policy: await getRefundPolicy(h.db.kysely, h.ids.merchantId),
      } as ReviewFacts;
      expect(await rules.no_open_dispute(h.db.kysely, facts)).toBe(`the payment has an open dispute (${d.id})`);
      expect(await manualReviewReasons(h.db.kysely, acquirerRules, facts)).toContain(
        `the payment has an open dispute (${d.id})`,
      );
      await closeDispute(h.db, h.ctx, d.caller, d.id, { outcome: 'withdrawn' });
      expect(await rules.no_open_dispute(h.db.kysely, facts)).toBeNull();
    });
  });

  describe('recordMissedMediation', () => {
    it('records a passed mediation deadline once, and not before it passes', async () => {
      const d = await f.escalated();
      await recordMissedMediation(h.db, h.ctx, d.id);
      const overdue = async () =>
        (await repo.listEventRows(h.db.kysely, d.id)).filter((e) => e.kind === 'mediation_overdue').length;
      expect(await overdue()).toBe(0);
      const row = await repo.findDisputeRow(h.db.kysely, d.id);
      const clock = h.clock.now();
      h.clock.set(new Date(Date.parse(row?.mediation_due_at ?? '') + 1));
      await recordMissedMediation(h.db, h.ctx, d.id);
      await recordMissedMediation(h.db, h.ctx, d.id);
      h.clock.set(clock);
      expect(await overdue()).toBe(1);
    });
  });

  describe('refer and the case files', () => {
    it('freezes the case file at referral and serves it through its share link until it expires', async () => {
      const d = await f.ruledForMerchant();
      const referral = await refer(h.db, h.ctx, d.caller, d.id, 'to the arbitrator');
      expect(referral.dispute.status).toBe('referred');
      const token = referral.shareLink.token;
      const shared = await getSharedCaseFile(h.db, h.ctx, f.nextIp(), token);
      expect(shared.sha256).toBe(referral.caseFile.sha256);
      const now = await getCaseFile(h.db, h.ctx, await f.actor('owner'), d.id);
      expect(now.content.dispute.referral?.reason).toContain(`sha256 ${referral.caseFile.sha256}: to the arbitrator`);
      expect(await codeOf(getSharedCaseFile(h.db, h.ctx, f.nextIp(), 'rdf_not-a-token'))).toBe('not_found');
      const clock = h.clock.now();
      h.clock.set(new Date(Date.parse(referral.shareLink.expiresAt) + DAY));
      expect(await codeOf(getSharedCaseFile(h.db, h.ctx, f.nextIp(), token))).toBe('share_link_expired');
      h.clock.set(clock);
    });

    it('rate-limits the share link per address (60 in 10 minutes)', async () => {
      const ip = f.nextIp();
      for (let i = 0; i < 60; i++) await codeOf(getSharedCaseFile(h.db, h.ctx, ip, 'rdf_not-a-token'));
      expect(await codeOf(getSharedCaseFile(h.db, h.ctx, ip, 'rdf_not-a-token'))).toBe('rate_limited');
    });

    it.each([
      ['by the acquirer', 'forbidden', 'reviewer', 'ruled'],
      ['of a dispute not ruled for the merchant', 'invalid_transition', 'customer', 'escalated'],
    ] as const)('refuses a referral %s: %s', async (_, code, who, state) => {
      const d = state === 'ruled' ? await f.ruledForMerchant() : await f.escalated();
      const caller = who === 'customer' ? d.caller : await f.staff(who);
      expect(await codeOf(refer(h.db, h.ctx, caller, d.id))).toBe(code);
    });

    it('hides the case file from another merchant', async () => {
      const d = await f.negotiating();
      expect(await codeOf(getCaseFile(h.db, h.ctx, await f.actor('otherOwner'), d.id))).toBe('not_found');
    });
  });

  describe('closeDispute and rateResolution', () => {
    it('closes as withdrawn, accepted and concluded, and the customer rates once', async () => {
      const withdrawn = await f.negotiating();
      const closed = await closeDispute(h.db, h.ctx, withdrawn.caller, withdrawn.id, { outcome: 'withdrawn' });
      expect(closed).toMatchObject({ status: 'closed', outcome: 'withdrawn' });
      const accepted = await f.ruledForMerchant();
      expect((await closeDispute(h.db, h.ctx, accepted.caller, accepted.id, { outcome: 'accepted' })).outcome).toBe(
        'accepted',
      );
      const referred = await f.ruledForMerchant();
      await refer(h.db, h.ctx, referred.caller, referred.id);
      const owner = await f.staff('owner');
      const concluded = await closeDispute(h.db, h.ctx, owner, referred.id, { outcome: 'concluded', note: 'upheld' });
      expect(concluded.outcome).toBe('concluded');
      const rated = await rateResolution(h.db, h.ctx, withdrawn.caller, withdrawn.id, { score: 4, comment: 'ok' });
      expect(rated.rating).toMatchObject({ score: 4, comment: 'ok' });
      const twice = rateResolution(h.db, h.ctx, withdrawn.caller, withdrawn.id, { score: 1 });
      expect(await codeOf(twice)).toBe('dispute_already_rated');
    });

    it.each([
      ['withdrawn by the merchant', 'forbidden', 'owner', 'negotiating', { outcome: 'withdrawn' }],
      ['accepted while negotiating', 'invalid_transition', 'customer', 'negotiating', { outcome: 'accepted' }],
      [
        'settled with no refund that succeeded',
        'dispute_not_settled',
        'customer',
        'negotiating',
        { outcome: 'settled' },
      ],
      ['concluded without a note', 'validation_failed', 'owner', 'referred', { outcome: 'concluded' }],
      ['closed twice', 'invalid_transition', 'customer', 'closed', { outcome: 'withdrawn' }],
    ] as const)('refuses a dispute %s: %s', async (_, code, who, state, input) => {
      const d =
        state === 'closed'
          ? await f.closed()
          : state === 'referred'
            ? await f.ruledForMerchant()
            : await f.negotiating();
      if (state === 'referred') await refer(h.db, h.ctx, d.caller, d.id);
      const caller = who === 'customer' ? d.caller : await f.staff(who);
      expect(await codeOf(closeDispute(h.db, h.ctx, caller, d.id, input))).toBe(code);
    });

    it.each([
      ['by the merchant', 'forbidden', 'owner', 'closed'],
      ['of a dispute still open', 'invalid_transition', 'customer', 'negotiating'],
    ] as const)('refuses a rating %s: %s', async (_, code, who, state) => {
      const d = state === 'closed' ? await f.closed() : await f.negotiating();
      const caller = who === 'customer' ? d.caller : await f.staff(who);
      expect(await codeOf(rateResolution(h.db, h.ctx, caller, d.id, { score: 5 }))).toBe(code);
    });
  });
});
