import { afterEach, describe, expect, it } from 'vitest';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { loadConfig } from '../config.js';
import type { AppContext } from '../context.js';
import { openContext } from '../runtime.js';
import { DEMO, seedDemo } from './demo.js';
import { claimSeed } from './seed.repository.js';

describe.each(engines())('the demo seed (%s)', (engine) => {
  let db: ThrowawayDatabase | undefined;
  const opened: AppContext[] = [];
  const open = async () => {
    const { ctx } = await openContext({
      ...loadConfig({}),
      databaseUrl: (db as ThrowawayDatabase).url,
      logLevel: 'silent',
    });
    opened.push(ctx);
    return ctx;
  };
  afterEach(async () => {
    for (const ctx of opened.splice(0)) await ctx.db.close();
    await db?.drop();
  });

  it('is made once when two processes start on one empty database, and the second waits for it', async () => {
    db = await throwawayDatabase(engine);
    const [a, b] = [await open(), await open()];
    const results = await Promise.all([seedDemo(a), seedDemo(b)]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    const terminals = await a.db.kysely.selectFrom('terminals').select('serial').execute();
    expect(terminals.map((t) => t.serial).sort()).toEqual([DEMO.terminal.serial, DEMO.other.terminal.serial]);
    const users = await a.db.kysely.selectFrom('users').select('email').execute();
    expect(users).toHaveLength(5);
    expect(await seedDemo(b)).toBeUndefined();
  });

  it('says so when an earlier seed stopped half-way, instead of taking it for done', async () => {
    db = await throwawayDatabase(engine);
    const ctx = await open();
    await claimSeed(ctx.db.kysely, 'demo', '2026-01-01T00:00:00.000Z'); // a claim that never completed
    await expect(seedDemo(ctx, { timeoutMs: 300, pollMs: 50 })).rejects.toThrow(/never finished/);
  });
});
