import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import {
  canPost,
  canTransition,
  closeOutcomes,
  closeRules,
  DEFAULT_DISPUTE_SETTINGS,
  type DisputeStatus,
  disputeSettings,
  disputeStatuses,
  disputeTransitions,
  escalationAllowedAt,
  linkedRefunds,
  maskEmail,
  maskPhone,
  redactPans,
  refundDisputable,
} from './dispute.js';

describe('the dispute transition table', () => {
  it('reaches every state from negotiating, and closed from every state', () => {
    const seen = new Set<DisputeStatus>(['negotiating']);
    const queue: DisputeStatus[] = ['negotiating'];
    while (queue.length > 0) {
      const from = queue.shift() as DisputeStatus;
      for (const to of disputeTransitions[from]) {
        if (!seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    expect([...seen].sort()).toEqual([...disputeStatuses].sort());
    for (const s of disputeStatuses) {
      const reach = new Set<DisputeStatus>([s]);
      const q: DisputeStatus[] = [s];
      while (q.length > 0) {
        for (const to of disputeTransitions[q.shift() as DisputeStatus]) {
          if (!reach.has(to)) {
            reach.add(to);
            q.push(to);
          }
        }
      }
      expect(reach.has('closed'), `${s} can end closed`).toBe(true);
    }
  });

  it('has exactly the arrows of the design, and closed has no exit', () => {
    const arrows = disputeStatuses.flatMap((from) => disputeTransitions[from].map((to) => `${from}→${to}`));
    expect(arrows.sort()).toEqual(
      [
        'negotiating→escalated',
        'negotiating→closed',
        'escalated→resolved_for_customer',
        'escalated→resolved_for_merchant',
        'resolved_for_customer→closed',
        'resolved_for_merchant→referred',
        'resolved_for_merchant→closed',
        'referred→closed',
      ].sort(),
    );
    expect(disputeTransitions.closed).toEqual([]);
    for (const from of disputeStatuses) {
      for (const to of disputeStatuses) {
        expect(canTransition(from, to)).toBe((disputeTransitions[from] as readonly string[]).includes(to));
      }
    }
  });

  it('closes only along arrows of the table, each outcome from its own states', () => {
    for (const outcome of closeOutcomes) {
      for (const from of closeRules[outcome].from)
        expect(canTransition(from, 'closed'), `${outcome} from ${from}`).toBe(true);
    }
    expect(closeRules.withdrawn.by).toEqual(['customer']);
    expect(closeRules.settled.by).not.toContain('acquirer');
  });

  it('opens the thread to the two sides while negotiating and to the acquirer once escalated', () => {
    expect(canPost('negotiating', 'customer')).toBe(true);
    expect(canPost('negotiating', 'merchant')).toBe(true);
    expect(canPost('negotiating', 'acquirer')).toBe(false);
    expect(canPost('escalated', 'acquirer')).toBe(true);
    expect(canPost('resolved_for_merchant', 'customer')).toBe(false);
    expect(canPost('negotiating', 'admin')).toBe(false);
  });
});

describe('dispute rules', () => {
  const now = new Date('2026-03-10T00:00:00.000Z');
  it('lets a rejected, failed or overdue refund be disputed, and nothing else', () => {
    for (const status of ['rejected_by_merchant', 'rejected_by_acquirer', 'failed'] as const) {
      expect(refundDisputable({ status, merchantDeadlineAt: null }, now).ok).toBe(true);
    }
    expect(
      refundDisputable({ status: 'pending_merchant', merchantDeadlineAt: '2026-03-09T00:00:00.000Z' }, now).ok,
    ).toBe(true);
    expect(
      refundDisputable({ status: 'pending_merchant', merchantDeadlineAt: '2026-03-11T00:00:00.000Z' }, now).ok,
    ).toBe(false);
    expect(refundDisputable({ status: 'pending_acquirer', merchantDeadlineAt: null }, now).ok).toBe(false);
    for (const status of ['succeeded', 'processing', 'canceled'] as const) {
      expect(refundDisputable({ status, merchantDeadlineAt: '2026-03-01T00:00:00.000Z' }, now).ok).toBe(false);
    }
  });

  it('allows escalation at once after a merchant rejection, else after the negotiation period', () => {
    const d = { createdAt: '2026-03-01T00:00:00.000Z' };
    expect(escalationAllowedAt(d, true, DEFAULT_DISPUTE_SETTINGS)).toBe(d.createdAt);
    expect(escalationAllowedAt(d, false, DEFAULT_DISPUTE_SETTINGS)).toBe('2026-03-08T00:00:00.000Z');
  });

  it('reads its settings from the environment, with defaults of 7, 10 and 30 days', () => {
    expect(disputeSettings(loadConfig({}))).toEqual({ escalationDays: 7, mediationDays: 10, shareLinkDays: 30 });
    expect(disputeSettings(loadConfig({ DISPUTE_ESCALATION_DAYS: '3' })).escalationDays).toBe(3);
    expect(() => loadConfig({ CASE_FILE_SHARE_DAYS: '-1' })).toThrow(/non-negative/);
  });

  it('links the disputed refund, refunds ordered by it, and refunds made after it opened', () => {
    const d = { id: 'dp_1', refundId: 're_1', createdAt: '2026-03-05T00:00:00.000Z' };
    const rs = [
      { id: 're_1', disputeId: null, createdAt: '2026-03-01T00:00:00.000Z' },
      { id: 're_0', disputeId: null, createdAt: '2026-02-01T00:00:00.000Z' },
      { id: 're_2', disputeId: null, createdAt: '2026-03-06T00:00:00.000Z' },
      { id: 're_3', disputeId: 'dp_1', createdAt: '2026-03-07T00:00:00.000Z' },
    ];
    expect(linkedRefunds(d, rs).map((r) => r.id)).toEqual(['re_1', 're_2', 're_3']);
  });

  it('masks contacts and card numbers typed into free text', () => {
    expect(maskEmail('li.lei@example.cn')).toBe('l***@example.cn');
    expect(maskPhone('+86 138-0013-8000')).toBe('861****8000');
    expect(redactPans('my card 4111 1111 1111 1111 was charged twice')).toBe(
      'my card 411111******1111 was charged twice',
    );
    expect(redactPans('order 1234567890123 and phone 13800138000')).toBe('order 1234567890123 and phone 13800138000');
  });
});
