import { afterEach, describe, expect, it } from 'vitest';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { loadConfig } from '../config.js';
import { openContext, type Runtime } from '../runtime.js';
import { DEMO, seedDemo } from './demo.js';
import { claimSeed } from './seed.repository.js';

describe.each(engines())('the demo seed (%s)', (engine) => {
  let db: ThrowawayDatabase | undefined;
  const opened: Runtime[] = [];
  const open = async () => {
    const rt = await openContext({
      ...loadConfig({}),
      databaseUrl: (db as ThrowawayDatabase).url,
      logLevel: 'silent',
    });
    opened.push(rt);
    return rt;
  };
  afterEach(async () => {
    for (const rt of opened.splice(0)) await rt.db.close();
    await db?.drop();
  });

  it('is made once when two processes start on one empty database, and the second waits for it', async () => {
    db = await throwawayDatabase(engine);
    const [a, b] = [await open(), await open()];
    const results = await Promise.all([seedDemo(a.db, a.ctx), seedDemo(b.db, b.ctx)]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    const terminals = await a.db.kysely.selectFrom('terminals').select('serial').execute();
    expect(terminals.map((t) => t.serial).sort()).toEqual([DEMO.terminal.serial, DEMO.other.terminal.serial]);
    const users = await a.db.kysely.selectFrom('users').select('email').execute();
    expect(users).toHaveLength(5);
    expect(await seedDemo(b.db, b.ctx)).toBeUndefined();
  });

  it('says so when an earlier seed stopped half-way, instead of taking it for done', async () => {
    db = await throwawayDatabase(engine);
    const { db: conn, ctx } = await open();
    await claimSeed(conn.kysely, 'demo', '2026-01-01T00:00:00.000Z'); // a claim that never completed
    await expect(seedDemo(conn, ctx, { timeoutMs: 300, pollMs: 50 })).rejects.toThrow(/never finished/);
  });
});
