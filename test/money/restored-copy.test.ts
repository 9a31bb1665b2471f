import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backups/backup.service.js';
import { restoreBackup } from '../../src/backups/restore.service.js';
import { loadConfig } from '../../src/config.js';
import { openContext } from '../../src/runtime.js';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../support/engines.js';
import { checkInvariants, type Violation } from './invariants.js';
import { newSeed } from './rng.js';
import { describeResult, runSimulation } from './simulate.js';

/**
 * Issue 11: the randomized money checker passes on a restored copy. A seeded random history over
 * every money path (disputes, rulings, retries, escalations, the moving clock) is backed up, the
 * backup restored into the other engine (or SQLite again when PostgreSQL is not configured), and
 * the checker's judge reads the copy: the same invariants must hold there as at the source.
 */
const scratch = mkdtempSync(join(tmpdir(), 'refunddesk-restored-copy-'));
const targets: ThrowawayDatabase[] = [];
afterAll(async () => {
  for (const t of targets) await t.drop();
  rmSync(scratch, { recursive: true, force: true });
});

describe.each(engines())('the money checker on a restored copy of a %s history', (engine) => {
  it('finds no anomaly at the source nor in the copy', { timeout: 240_000 }, async () => {
    const seed = process.env.MONEY_SEED ? Number(process.env.MONEY_SEED) : newSeed();
    const other = engine === 'sqlite' && engines().includes('postgres') ? 'postgres' : 'sqlite';
    let copy: Violation[] | undefined;
    const result = await runSimulation({
      engine,
      seed,
      rounds: 25,
      finish: async (h) => {
        const file = join(scratch, `${engine}-${seed}.rdbackup`);
        await createBackup(h.ctx.config, file);
        const target = await throwawayDatabase(other);
        targets.push(target);
        await restoreBackup(file, target.url, { secretKey: h.ctx.config.secretKey });
        const restored = await openContext(
          loadConfig({ ...process.env, DATABASE_URL: target.url, SECRET_KEY: h.ctx.config.secretKey }),
        );
        try {
          copy = await checkInvariants(restored.db);
        } finally {
          await restored.db.close();
        }
      },
    });
    console.log(`${describeResult(result)}; restored into ${other}`);
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(copy, `seed ${seed}: the restored copy (${other})`).toEqual([]);
  });
});
