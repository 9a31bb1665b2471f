import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { luhnValid } from '../payments/card.js';
import {
  assertSafeDetails,
  assertValidAuditInput,
  auditHash,
  canonicalAuditRecord,
  canonicalJson,
  containsPan,
  isSecretKey,
  UnsafeAuditRecordError,
} from './audit-event.js';

const fields = {
  id: 'aud_01',
  chain: 'mer_1',
  seq: 1,
  at: '2026-03-02T08:00:00.000Z',
  actor_kind: 'user',
  actor_id: 'usr_1',
  action: 'refund.status_changed',
  outcome: 'success',
  object_type: 'refund',
  object_id: 're_1',
  terminal_id: null,
  ip: '127.0.0.1',
  details: '{"from":"pending_acquirer","to":"processing"}',
  prev_hash: '0'.repeat(64),
};

describe('the audit hash', () => {
  it('is SHA-256 over a JSON array of the fields in a fixed order', () => {
    const record = canonicalAuditRecord(fields);
    expect(JSON.parse(record)).toEqual([
      'refunddesk.audit.v1',
      'aud_01',
      'mer_1',
      1,
      '2026-03-02T08:00:00.000Z',
      'user',
      'usr_1',
      'refund.status_changed',
      'success',
      'refund',
      're_1',
      null,
      '127.0.0.1',
      '{"from":"pending_acquirer","to":"processing"}',
      '0'.repeat(64),
    ]);
    expect(auditHash(fields)).toBe(createHash('sha256').update(record).digest('hex'));
  });

  it('changes when any single field changes', () => {
    const base = auditHash(fields);
    for (const [k, v] of Object.entries(fields)) {
      const changed = { ...fields, [k]: typeof v === 'number' ? v + 1 : v === null ? 'x' : `${v}x` };
      expect(auditHash(changed), k).not.toBe(base);
    }
  });

  it('cannot be fooled by moving text from one field into its neighbour', () => {
    expect(auditHash({ ...fields, object_type: 'refund', object_id: 're_1' })).not.toBe(
      auditHash({ ...fields, object_type: 'refundre_1', object_id: '' }),
    );
  });

  it('stores details with sorted keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('the details guard', () => {
  it.each([
    'password',
    'refundPassword',
    'new_password',
    'passwd',
    'secret',
    'clientSecret',
    'code',
    'otpCode',
    'unlock_code',
    'passcode',
    'token',
    'accessToken',
    'pan',
    'PAN',
    'card_number',
    'cardNumber',
    'cvv',
    'pin',
  ])('refuses the key %s', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['company', 'expand', 'spinner', 'cardLast4', 'cardBin', 'reason', 'paymentId', 'from', 'to', 'amount'])(
    'allows the key %s',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );

  it('knows a Luhn-valid number from an invalid one', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });

  it.each([
    '4111111111111111',
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    'card 5555555555554444 was used',
    '378282246310005',
    '6212345678901265',
    'the shortest: 4222222222222 (13 digits)',
  ])('finds a full card number in %j', (text) => {
    expect(containsPan(text)).toBe(true);
  });

  it.each([
    '411111******1111',
    '4111111111111112',
    '123456789012',
    '13800138000',
    '2026-03-02T08:00:00.000Z',
    '12345678901234567890123',
  ])('does not mistake %j for a card number', (text) => {
    expect(containsPan(text)).toBe(false);
  });

  it('looks at every depth, at numbers, and at keys, and never repeats the value in its message', () => {
    const bad = [
      { nested: { deeper: { newPassword: 'hunter2' } } },
      { list: ['ok', { token: 'abc' }] },
      { note: 'customer card 4111111111111111' },
      { n: 4111111111111111 },
      { 4111111111111111: 'key' },
    ];
    for (const d of bad) {
      let error: unknown;
      try {
        assertSafeDetails(d);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(d)).toBeInstanceOf(UnsafeAuditRecordError);
      expect((error as Error).message).not.toMatch(/hunter2|abc|4111111111111111/);
    }
    expect(() =>
      assertSafeDetails({ cardBin: '411111', cardLast4: '1111', reference: '123456789012', amount: 1000 }),
    ).not.toThrow();
  });

  it('also checks actions, outcomes and the free-text fields', () => {
    const ok = {
      merchantId: 'mer_1',
      actor: { kind: 'user', id: 'usr_1' },
      action: 'refund.created',
      outcome: 'success',
    } as const;
    expect(() => assertValidAuditInput(ok)).not.toThrow();
    expect(() => assertValidAuditInput({ ...ok, action: 'Refund Created' })).toThrow(UnsafeAuditRecordError);
    expect(() => assertValidAuditInput({ ...ok, outcome: 'maybe' as 'success' })).toThrow(UnsafeAuditRecordError);
    expect(() => assertValidAuditInput({ ...ok, objectId: '4111111111111111' })).toThrow(UnsafeAuditRecordError);
  });
});
