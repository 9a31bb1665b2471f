import { describe, expect, it } from 'vitest';
import { type PlantedBug, plantBug } from '../../src/db/failpoints.js';
import { engines } from '../support/engines.js';
import { newSeed } from './rng.js';
import { describeResult, runSimulation } from './simulate.js';

/**
 * The randomized money checker, bounded for `npm test` (`npm run soak` runs it longer). The seed
 * is printed and named in any failure; MONEY_SEED=… replays one.
 */
const SECONDS = Number(process.env.MONEY_SECONDS ?? 30);

describe.each(engines())('the money checker (%s)', (engine) => {
  it('finds no anomaly in a bounded random run over every money path', { timeout: (SECONDS + 90) * 1000 }, async () => {
    const seed = process.env.MONEY_SEED ? Number(process.env.MONEY_SEED) : newSeed();
    const result = await runSimulation({ engine, seed, seconds: SECONDS, rounds: 1_000 });
    console.log(describeResult(result));
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.rounds).toBeGreaterThanOrEqual(5);
  });

  /** Runs 60 rounds of a fixed seed with `bug` planted; returns the kinds of anomaly reported. */
  async function withPlanted(bug: PlantedBug): Promise<string[]> {
    let unplant = () => {};
    const result = await runSimulation({
      engine,
      seed: 7,
      rounds: 60,
      prepare: () => {
        unplant = plantBug(bug);
      },
    }).finally(() => unplant());
    return result.anomalies.map((a) => a.kind);
  }

  it('reports a planted bug: a released refund left counted against its payment', { timeout: 120_000 }, async () => {
    const kinds = await withPlanted('forget_release');
    expect(kinds).toContain('payment_columns');
    expect(kinds).toContain('payment_figures');
  });

  it('reports a planted bug: refunds no longer held to what is refundable (the database refuses them: 5xx)', {
    timeout: 120_000,
  }, async () => {
    expect(await withPlanted('skip_refundable_check')).toContain('http_500');
  });
});
