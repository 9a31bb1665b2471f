import { describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { engines } from '../../test/support/engines.js';
import { type Harness, useHarness } from '../../test/support/harness.js';
import { DEMO } from '../seed/demo.js';
import { confirmed, reinitRequests } from './reinitialize.fixtures.js';

/** Who may re-initialise which terminal, with which confirmations and password, and when. */
describe.each(engines())('terminal re-initialisation refused (%s)', (engine) => {
  let h: Harness;
  useHarness(engine, (opened) => (h = opened), 'test');
  const { reinit, settle, refundAt, signOn } = reinitRequests(() => h);

  it('refuses the wrong role, another merchant’s or agency’s terminal, and bad confirmations, changing nothing', async () => {
    await settle();
    const owner = await h.login('owner');
    expect(expectProblem(await reinit(await h.operator('cashier'), confirmed('4826'))).code).toBe('forbidden');
    expect(expectProblem(await reinit(await h.login('admin'), confirmed(DEMO.admin.password))).code).toBe('forbidden');
    expect(expectProblem(await reinit(await h.login('reviewer'), confirmed(DEMO.reviewer.password))).code).toBe(
      'forbidden',
    );
    const other = await reinit(await h.login('otherOwner'), confirmed(DEMO.other.owner.password));
    expect(expectProblem(other).code).toBe('not_found');
    const strangerAgent = await reinit(await h.stranger('agent_staff'), confirmed('Stranger-Demo-2026!'));
    expect(expectProblem(strangerAgent).code).toBe('not_found');
    const otherSupervisor = await reinit(
      await h.operator('supervisor', 'other'),
      confirmed(DEMO.other.terminal.supervisor.password),
    );
    expect(expectProblem(otherSupervisor).code).toBe('not_found');

    const single = await reinit(owner, { confirmSerial: 'T-0001', password: DEMO.owner.password, skipBackup: true });
    expect(expectProblem(single).code).toBe('validation_failed');
    const differ = await reinit(owner, confirmed(DEMO.owner.password, { confirmSerialAgain: 'T-0010' }));
    expect(expectProblem(differ).code).toBe('serial_confirmation_mismatch');
    const wrongSerial = await reinit(
      owner,
      confirmed(DEMO.owner.password, { confirmSerial: 'T-0002', confirmSerialAgain: 'T-0002' }),
    );
    expect(expectProblem(wrongSerial).code).toBe('serial_confirmation_mismatch');

    const wrong = await reinit(owner, confirmed('Not-The-Password-1'));
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ code: 'step_up_password_invalid', attemptsLeft: 4 });
    const again = await reinit(owner, confirmed('Not-The-Password-1'));
    expect(again.json()).toMatchObject({ code: 'step_up_password_invalid', attemptsLeft: 3 });

    // Nothing changed: the cashier still signs on, refunds still work.
    expect((await signOn('01', DEMO.terminal.cashier.password)).statusCode).toBe(200);
    const sale = await h.sale(1_000, { settled: true });
    expect((await refundAt(await h.operator('cashier'), sale.id)).statusCode).toBe(201);
  });

  it('counts the wrong step-up passwords toward the login’s lockout', async () => {
    const owner = await h.login('owner');
    for (let i = 0; i < 4; i++) await reinit(owner, confirmed('Not-The-Password-1'));
    const locking = await reinit(owner, confirmed('Not-The-Password-1'));
    expect(expectProblem(locking).code).toBe('locked');
    // The right password is refused while locked; so is a console login.
    expect(expectProblem(await reinit(owner, confirmed(DEMO.owner.password))).code).toBe('locked');
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: DEMO.owner.email, password: DEMO.owner.password },
    });
    expect(login.statusCode).toBe(401);
  });

  it('refuses while the open batch has sales (batch_not_settled), and goes once it is settled', async () => {
    await h.sale(2_500);
    const owner = await h.login('owner');
    const r = await reinit(owner, confirmed(DEMO.owner.password));
    expect(expectProblem(r).code).toBe('batch_not_settled');
    expect((await signOn('01', DEMO.terminal.cashier.password)).statusCode).toBe(200);
    await settle();
    expect((await reinit(owner, confirmed(DEMO.owner.password))).statusCode).toBe(200);
  });
});
