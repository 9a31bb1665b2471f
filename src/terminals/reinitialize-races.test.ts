import { describe, expect, it } from 'vitest';
import { expectProblem } from '../../test/http/helpers.js';
import { engines } from '../../test/support/engines.js';
import { type Harness, useHarness } from '../../test/support/harness.js';
import { someoneWaitsOnALock as waitsOnALock } from '../../test/support/pg-locks.js';
import { armFailpoint } from '../db/failpoints.js';
import * as operators from '../operators/operator.service.js';
import { DEMO } from '../seed/demo.js';
import { confirmed, countAll, reinitRequests } from './reinitialize.fixtures.js';

/** A sale and a re-initialisation of one terminal at once: whichever holds the terminal first wins. */
describe.each(engines())('terminal re-initialisation racing a sale (%s)', (engine) => {
  let h: Harness;
  useHarness(engine, (opened) => (h = opened), 'test');
  const { reinit, settle } = reinitRequests(() => h);

  const someoneWaitsOnALock = () => waitsOnALock(h.ctx.config.databaseUrl, 'nobody');

  /** Arms `name` to hold whoever reaches it until `open` is called. */
  function gateAt(name: string) {
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const disarm = armFailpoint(name, async () => {
      reached();
      await gate;
    });
    return { atGate, open, disarm };
  }

  it('a sale holding the terminal makes a racing re-initialisation refuse (batch_not_settled)', async () => {
    await settle();
    const cashier = await h.operator('cashier');
    const owner = await h.login('owner');
    const g = gateAt('sale:terminal-held');
    try {
      const sale = h.app.inject({
        method: 'POST',
        url: '/api/v1/payments',
        headers: cashier,
        payload: { amount: 1_200, card: { number: '4111111111111111' } },
      });
      await g.atGate;
      g.disarm();
      const wipe = reinit(owner, confirmed(DEMO.owner.password));
      if (engine === 'postgres') await someoneWaitsOnALock();
      g.open();
      const [sold, wiped] = await Promise.all([sale, wipe]);
      expect(sold.statusCode, sold.body).toBe(201);
      expect(expectProblem(wiped).code).toBe('batch_not_settled');
    } finally {
      g.disarm();
      g.open();
    }
    expect(await operators.findOperatorCredentials(h.db.kysely, h.ids.terminalId, '01')).toBeDefined();
  });

  it('a re-initialisation holding the terminal makes a racing sale refuse (terminal_reinitialized)', async () => {
    await settle();
    const cashier = await h.operator('cashier');
    const owner = await h.login('owner');
    const paymentsBefore = (await countAll(h)).payments;
    const g = gateAt('reinitialize:terminal-locked');
    try {
      const wipe = reinit(owner, confirmed(DEMO.owner.password));
      await g.atGate;
      g.disarm();
      const sale = h.app.inject({
        method: 'POST',
        url: '/api/v1/payments',
        headers: cashier,
        payload: { amount: 1_200, card: { number: '4111111111111111' } },
      });
      if (engine === 'postgres') await someoneWaitsOnALock();
      g.open();
      const [wiped, sold] = await Promise.all([wipe, sale]);
      expect(wiped.statusCode, wiped.body).toBe(200);
      // SQLite: the sale's request authenticated before the wipe and queued behind it; PostgreSQL:
      // it waited on the terminal's lock. Either way it finds its operator gone.
      expect([401, 409]).toContain(sold.statusCode);
      if (sold.statusCode === 409) expect(sold.json().code).toBe('terminal_reinitialized');
    } finally {
      g.disarm();
      g.open();
    }
    expect((await countAll(h)).payments).toBe(paymentsBefore);
    const open = await h.db.kysely
      .selectFrom('batches')
      .select('id')
      .where('terminal_id', '=', h.ids.terminalId)
      .where('status', '=', 'open')
      .execute();
    expect(open).toEqual([]);
  });
});
