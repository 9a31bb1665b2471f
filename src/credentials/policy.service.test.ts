import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { type Actor, systemActor } from '../auth/actor.js';
import { AppError } from '../errors.js';
import { defaultPolicy, mergePolicy, policyProblem } from './password-policy.js';
import { setPasswordPolicy } from './policy.service.js';

const owner = (merchantId: string): Actor => ({
  ...systemActor,
  kind: 'user',
  id: 'usr_test',
  role: 'merchant_owner',
  merchantId,
});

describe('policy bounds', () => {
  it('keeps every override within PCI DSS', () => {
    expect(policyProblem(defaultPolicy)).toBeNull();
    expect(policyProblem(mergePolicy(defaultPolicy, { lockout: { maxFailures: 11 } }))).toMatch(/3–10/);
    expect(policyProblem(mergePolicy(defaultPolicy, { lockout: { lockMinutes: 10 } }))).toMatch(/30–1440/);
    expect(policyProblem(mergePolicy(defaultPolicy, { refundPassword: { expiryDays: 365 } }))).toMatch(/15–90/);
    expect(policyProblem(mergePolicy(defaultPolicy, { refundPassword: { expiryDays: 0 } }))).toBeNull();
    expect(policyProblem(mergePolicy(defaultPolicy, { refundPassword: { minLength: 10, maxLength: 8 } }))).toMatch(
      /above/,
    );
    expect(policyProblem(mergePolicy(defaultPolicy, { historySize: 2 }))).toMatch(/4–24/);
  });
});

describe.each(engines())('setting a merchant’s password policy (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('stores the override, applies it, and audits who changed what', async () => {
    const r = await setPasswordPolicy(h.db, h.ctx, owner(h.ids.merchantId), h.ids.merchantId, {
      minLength: 8,
      maxFailures: 3,
    });
    expect(r.policy.refundPassword.minLength).toBe(8);
    expect(r.policy.lockout.maxFailures).toBe(3);
    expect(r.policy.refundPassword.maxLength).toBe(12);
    const change = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password`,
      headers: await h.login('owner'),
      payload: { currentPassword: '731946', newPassword: '480263', confirmPassword: '480263' },
    });
    expect(change.json().code).toBe('password_too_short');
    const events = await listAuditEvents(h.db, h.ctx, systemActor, {
      limit: 20,
      merchantId: h.ids.merchantId,
      action: 'password_policy.changed',
    });
    expect(events.data).toHaveLength(1);
    const cleared = await setPasswordPolicy(h.db, h.ctx, owner(h.ids.merchantId), h.ids.merchantId, { clear: true });
    expect(cleared.override).toBeNull();
    expect(cleared.policy.refundPassword.minLength).toBe(6);
  });

  it('refuses a cashier, another merchant’s owner, and a policy below the bounds, changing nothing', async () => {
    const cashier: Actor = { ...owner(h.ids.merchantId), kind: 'operator', role: 'cashier' };
    await expect(setPasswordPolicy(h.db, h.ctx, cashier, h.ids.merchantId, { minLength: 8 })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(
      setPasswordPolicy(h.db, h.ctx, owner(h.ids.otherMerchantId), h.ids.merchantId, { minLength: 8 }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      setPasswordPolicy(h.db, h.ctx, owner(h.ids.merchantId), h.ids.merchantId, { maxFailures: 50 }),
    ).rejects.toBeInstanceOf(AppError);
    const r = await setPasswordPolicy(h.db, h.ctx, owner(h.ids.merchantId), h.ids.merchantId, {});
    expect(r.policy.lockout.maxFailures).toBe(5);
  });
});
