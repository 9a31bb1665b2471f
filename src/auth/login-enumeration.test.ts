import * as argon2 from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { MINUTE } from '../clock.js';
import { DEMO } from '../seed/demo.js';

// Every argon2 verification is counted: the console login must run the same number whether or not
// the e-mail has an account, locked or not.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...real, verify: vi.fn(real.verify) };
});
const verifications = () => vi.mocked(argon2.verify).mock.calls.length;

/**
 * Issue 8 #3 (OWASP Authentication Cheat Sheet): which e-mails have console accounts cannot be
 * learnt from the login's answers, the lockout included. Structural, not timed: the status, the
 * body (all but the request id) and the count of argon2 verifications are compared. The timing
 * is measured in bench/login-enumeration.ts.
 */
describe.each(engines())('console login: known and unknown e-mails look alike (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  const login = async (email: string, password: string) => {
    const before = verifications();
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    const { requestId: _id, ...body } = r.json() as Record<string, unknown>;
    return { status: r.statusCode, body, verifications: verifications() - before };
  };

  it('answers seven wrong passwords, and the right one while locked, the same for both, with one verification each', async () => {
    const known = DEMO.owner.email;
    const unknown = 'nobody-here@merchant.demo';
    for (let i = 0; i < 7; i++) {
      const k = await login(known, `Wrong-Password-${i}!`);
      const u = await login(unknown, `Wrong-Password-${i}!`);
      expect(k, `attempt ${i + 1}`).toEqual(u);
      expect(k).toEqual({
        status: 401,
        body: expect.objectContaining({ code: 'invalid_credentials' }),
        verifications: 1,
      });
      expect(k.body).not.toHaveProperty('attemptsLeft');
      expect(k.body).not.toHaveProperty('unlockAt');
    }
    // The account is locked now (five failures): the right password gets the very same answer.
    const right = await login(known, DEMO.owner.password);
    expect(right).toEqual(await login(unknown, DEMO.owner.password));
    expect(right).toMatchObject({ status: 401, verifications: 1 });
    const locks = await h.db.kysely
      .selectFrom('audit_events')
      .select(['action', 'object_id'])
      .where('action', '=', 'login.locked')
      .execute();
    expect(locks.length, 'both the account and the unknown e-mail were locked, silently').toBe(2);

    h.clock.advance(30 * MINUTE + 1000);
    expect((await login(known, DEMO.owner.password)).status).toBe(200);
  });
});
