import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { timeStep, unlockCode } from '../recovery/unlock-code.js';
import { findTerminalUnlockKey } from './terminal.service.js';

describe.each(engines())('terminal unlock keys at rest (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  const stored = async (id: string) =>
    (await h.db.kysely.selectFrom('terminals').select('unlock_secret').where('id', '=', id).executeTakeFirstOrThrow())
      .unlock_secret as string;
  const store = (id: string, value: string) =>
    h.db.kysely.updateTable('terminals').set({ unlock_secret: value }).where('id', '=', id).execute();

  it('stores the key sealed: the column does not hold it, and the agent’s code is made from the opened key', async () => {
    const key = await findTerminalUnlockKey(h.db.kysely, h.ctx, h.ids.terminalId);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const column = await stored(h.ids.terminalId);
    expect(column).toMatch(/^v1\./);
    expect(column).not.toContain(key as string);
    expect(column.toLowerCase()).not.toContain(
      Buffer.from(key as string, 'hex')
        .toString('base64url')
        .toLowerCase(),
    );

    const challenge = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/unlock-challenge`,
      headers: await h.operator('supervisor'),
    });
    const issued = await h.app.inject({
      method: 'POST',
      url: '/api/v1/agent/unlock-codes',
      headers: await h.login('agent'),
      payload: { terminalId: h.ids.terminalId, challenge: challenge.json().challenge },
    });
    expect(issued.statusCode, issued.body).toBe(201);
    expect(issued.json().unlockCode).toBe(
      unlockCode(key as string, 'T-0001', challenge.json().challenge, timeStep(h.clock.now(), 15)),
    );
  });

  it('does not open a sealed key copied onto another terminal’s row, nor under another server key', async () => {
    const original = await stored(h.ids.otherTerminalId);
    try {
      await store(h.ids.otherTerminalId, await stored(h.ids.terminalId));
      await expect(findTerminalUnlockKey(h.db.kysely, h.ctx, h.ids.otherTerminalId)).rejects.toThrow(/does not open/);
    } finally {
      await store(h.ids.otherTerminalId, original);
    }
    const otherServer = { ...h.ctx, config: { ...h.ctx.config, secretKey: randomBytes(32).toString('hex') } };
    await expect(findTerminalUnlockKey(h.db.kysely, otherServer, h.ids.terminalId)).rejects.toThrow(/does not open/);
    expect(await findTerminalUnlockKey(h.db.kysely, h.ctx, h.ids.otherTerminalId)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads a legacy plain key once and seals it in place', async () => {
    const legacy = randomBytes(32).toString('hex');
    await store(h.ids.otherTerminalId, legacy);
    expect(await findTerminalUnlockKey(h.db.kysely, h.ctx, h.ids.otherTerminalId)).toBe(legacy);
    const column = await stored(h.ids.otherTerminalId);
    expect(column).toMatch(/^v1\./);
    expect(column).not.toContain(legacy);
    expect(await findTerminalUnlockKey(h.db.kysely, h.ctx, h.ids.otherTerminalId)).toBe(legacy);
  });
});
