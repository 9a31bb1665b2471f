import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, REFUND_PASSWORD, useHarness } from '../../test/support/harness.js';
import { codeOf, demoActors, type Who } from '../../test/support/use-cases.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import { createCounterRefund } from '../refunds/refund.service.js';
import { listJournal } from './journal.service.js';
import * as payments from './payment.service.js';
import { getPaymentReceipt } from './payment-receipt.service.js';
import { TEST_CARDS } from './processor.js';
import * as settlement from './settlement.service.js';

const UNKNOWN_TERMINAL = 'trm_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
const six = (n: number) => String(n).padStart(6, '0');

/** Settlement (结算), the journal (流水) and the slips, called as services, with their errors. */
describe.each(engines())('settlement, journal and receipt use cases (%s)', (engine) => {
  let h: Harness;
  const actor = demoActors(() => h);
  useHarness(engine, (opened) => (h = opened));

  const sell = async (card: string = TEST_CARDS.approved, amount = 5_000) =>
    (await payments.createPayment(h.db, h.ctx, await actor('cashier'), { amount, card: { number: card } })).value;
  const voidSale = async (id: string) =>
    payments.voidPayment(h.db, h.ctx, await actor('supervisor'), id, REFUND_PASSWORD);
  const terminalOf = (which: 'main' | 'unknown') => (which === 'main' ? h.ids.terminalId : UNKNOWN_TERMINAL);
  /** Leaves the demo terminal with no open batch: what follows starts a batch of its own. */
  const settledSoFar = () => h.sale(100, { settled: true });

  describe('openBatchSummary and settleTerminal', () => {
    it('sums the open batch so far, then settles it: sales, voids, counter refunds, declines, failures, net', async () => {
      await settledSoFar();
      const approved = await sell(TEST_CARDS.approved, 5_000);
      await voidSale((await sell(TEST_CARDS.approved, 3_000)).id);
      await sell(TEST_CARDS.declined);
      await sell(TEST_CARDS.chargedButFailed, 2_000);
      const refund = { paymentId: approved.id, amount: 1_000, reason: 'goods_returned' as const };
      await createCounterRefund(h.db, h.ctx, await actor('supervisor'), { ...refund, refundPassword: REFUND_PASSWORD });
      const expected = {
        terminalId: h.ids.terminalId,
        currency: 'CNY',
        sales: { count: 2, amount: 8_000 },
        voids: { count: 1, amount: 3_000 },
        refunds: { count: 1, amount: 1_000 },
        declined: { count: 1 },
        failed: { count: 1, amount: 2_000 },
        net: 4_000,
      };
      const owner = await actor('owner');
      const soFar = await settlement.openBatchSummary(h.db.kysely, owner, h.ids.terminalId);
      expect(soFar).toMatchObject({ ...expected, batchId: expect.stringMatching(/^bat/) });
      expect(await settlement.isPaymentSettled(h.db.kysely, approved)).toBe(false);

      const totals = await settlement.settleTerminal(h.db, h.ctx, await actor('supervisor'), h.ids.terminalId);
      expect(totals).toMatchObject({ ...expected, batchId: soFar.batchId, batchNo: soFar.batchNo, operatorCode: '00' });
      expect(totals.settledAt).toBe(h.clock.now().toISOString());
      expect(await settlement.isPaymentSettled(h.db.kysely, approved)).toBe(true);
      const audit = await listAuditEvents(h.db, h.ctx, systemActor, {
        merchantId: h.ids.merchantId,
        objectId: totals.batchId,
        limit: 5,
      });
      expect(audit.data.map((e) => [e.action, e.details.net])).toEqual([['batch.settled', 4_000]]);

      const next = await settlement.openBatchSummary(h.db.kysely, owner, h.ids.terminalId);
      expect(next).toMatchObject({
        batchId: null,
        batchNo: totals.batchNo + 1,
        net: 0,
        sales: { count: 0, amount: 0 },
      });
    });

    it('settles from the console with no operator no.', async () => {
      await settledSoFar();
      await sell();
      const totals = await settlement.settleTerminal(h.db, h.ctx, await actor('owner'), h.ids.terminalId);
      expect(totals).toMatchObject({ operatorCode: null, sales: { count: 1, amount: 5_000 } });
    });

    it.each([
      ['an empty batch', 'batch_empty', 'supervisor', 'main'],
      ['another merchant’s terminal', 'not_found', 'otherOwner', 'main'],
      ['another terminal than the operator’s', 'not_found', 'otherSupervisor', 'main'],
      ['an unknown terminal', 'not_found', 'owner', 'unknown'],
    ] as const)('refuses to settle %s: %s', async (_, code, who, which) => {
      await settledSoFar();
      if (code !== 'batch_empty') await sell();
      expect(await codeOf(settlement.settleTerminal(h.db, h.ctx, await actor(who), terminalOf(which)))).toBe(code);
    });

    it.each([
      ['otherOwner', 'main'],
      ['owner', 'unknown'],
    ] as const)('answers not_found to %s for the summary of a terminal not theirs (%s)', async (who, which) => {
      const summary = settlement.openBatchSummary(h.db.kysely, await actor(who), terminalOf(which));
      expect(await codeOf(summary)).toBe('not_found');
    });
  });

  describe('getSettlementReceipt', () => {
    it('prints the last settlement’s slip, or the one of a batch no., on any screen', async () => {
      await settledSoFar();
      await sell(TEST_CARDS.approved, 7_000);
      const first = await settlement.settleTerminal(h.db, h.ctx, await actor('supervisor'), h.ids.terminalId);
      await sell(TEST_CARDS.approved, 1_000);
      await settlement.settleTerminal(h.db, h.ctx, await actor('supervisor'), h.ids.terminalId);
      const owner = await actor('owner');
      const last = await settlement.getSettlementReceipt(h.db.kysely, owner, h.ids.terminalId);
      expect(last.kind).toBe('settlement');
      expect(last.merchantCopy).toContain(`批次号(BATCH NO.): ${six(first.batchNo + 1)}`);
      const earlier = await settlement.getSettlementReceipt(h.db.kysely, owner, h.ids.terminalId, first.batchNo);
      expect(earlier.merchantCopy).toContain(`批次号(BATCH NO.): ${six(first.batchNo)}`);
      expect(earlier.merchantCopy).toContain('操作员号(OPERATOR NO.): 00');
    });

    it.each([
      ['a batch no. never settled', 'owner', 999_999],
      ['another merchant’s terminal', 'otherOwner', undefined],
    ] as const)('answers not_found for %s', async (_, who, batchNo) => {
      const slip = settlement.getSettlementReceipt(h.db.kysely, await actor(who), h.ids.terminalId, batchNo);
      expect(await codeOf(slip)).toBe('not_found');
    });
  });

  describe('listJournal', () => {
    it('lists the terminal’s sales, voids and refunds newest first, by voucher no. or kind', async () => {
      const p = await sell(TEST_CARDS.approved, 6_100);
      await voidSale(p.id);
      const supervisor = await actor('supervisor');
      const [voided, sold] = (await listJournal(h.db.kysely, supervisor, h.ids.terminalId, { limit: 2 })).data;
      expect([voided.kind, sold.kind]).toEqual(['void', 'sale']);
      expect(voided.voucherNo).toBe(sold.voucherNo + 1);
      const byVoucher = await listJournal(h.db.kysely, supervisor, h.ids.terminalId, {
        limit: 5,
        voucher: sold.voucherNo,
      });
      expect(byVoucher.data).toEqual([sold]);
      const sales = await listJournal(h.db.kysely, supervisor, h.ids.terminalId, { limit: 50, kind: 'sale' });
      expect(sales.data.every((e) => e.kind === 'sale')).toBe(true);
    });

    it.each([
      ['otherSupervisor', 'main'],
      ['otherOwner', 'main'],
      ['owner', 'unknown'],
    ] as const)('answers not_found to %s for a terminal not theirs (%s)', async (who, which) => {
      const journal = listJournal(h.db.kysely, await actor(who), terminalOf(which), { limit: 5 });
      expect(await codeOf(journal)).toBe('not_found');
    });
  });

  describe('getPaymentReceipt', () => {
    it('prints the sale slip, and once voided the void slip, while the sale’s own slip can still be reprinted', async () => {
      const p = await sell(TEST_CARDS.approved, 2_400);
      const owner = await actor('owner');
      const receipt = (kind?: 'sale' | 'void') => getPaymentReceipt(h.db.kysely, owner, p.id, 'Asia/Shanghai', kind);
      expect((await receipt()).kind).toBe('sale');
      expect(await codeOf(receipt('void'))).toBe('not_found');
      await voidSale(p.id);
      expect((await receipt()).kind).toBe('void');
      expect((await receipt('void')).kind).toBe('void');
      expect((await receipt('sale')).kind).toBe('sale');
    });

    it.each<[string, Who]>([
      ['another merchant’s owner', 'otherOwner'],
      ['a reviewer of another acquirer', 'stranger'],
    ])('answers not_found to %s', async (_, who) => {
      const p = await sell();
      expect(await codeOf(getPaymentReceipt(h.db.kysely, await actor(who), p.id))).toBe('not_found');
    });
  });
});
