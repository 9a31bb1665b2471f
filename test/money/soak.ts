import { parseArgs } from 'node:util';
import type { EngineName } from '../support/engines.js';
import { newSeed } from './rng.js';
import { describeResult, runSimulation } from './simulate.js';

/**
 * `npm run soak -- [--seconds N] [--rounds N] [--seed S] [--engine sqlite|postgres]`: the money
 * checker for longer than `npm test` runs it. PostgreSQL needs TEST_DATABASE_URL (a throwaway
 * database is made there); without --engine both engines run when it is set. Exit 1 on an anomaly.
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    seed: { type: 'string' },
    engine: { type: 'string' },
    'keep-going': { type: 'boolean' },
  },
});
const seed = values.seed ? Number(values.seed) : newSeed();
if (!Number.isSafeInteger(seed)) throw new Error('--seed takes an integer');
const seconds = values.seconds ? Number(values.seconds) : values.rounds ? undefined : 60;
const rounds = values.rounds ? Number(values.rounds) : undefined;
const engines: EngineName[] = values.engine
  ? [values.engine as EngineName]
  : process.env.TEST_DATABASE_URL
    ? ['sqlite', 'postgres']
    : ['sqlite'];
if (engines.some((e) => e !== 'sqlite' && e !== 'postgres')) throw new Error('--engine is sqlite or postgres');
if (engines.includes('postgres') && !process.env.TEST_DATABASE_URL) {
  throw new Error('PostgreSQL runs need TEST_DATABASE_URL=postgres://…');
}

let failed = false;
for (const engine of engines) {
  console.log(
    `money checker (${engine}): seed ${seed}${seconds ? `, ${seconds} s` : ''}${rounds ? `, ${rounds} rounds` : ''}`,
  );
  const result = await runSimulation({
    engine,
    seed,
    seconds,
    rounds,
    stopOnAnomaly: !values['keep-going'],
    log: (line) => console.log(`  ${line}`),
  });
  console.log(describeResult(result));
  console.log(`  operations: ${JSON.stringify(result.counts)}`);
  if (result.anomalies.length > 0) failed = true;
}
process.exit(failed ? 1 : 0);
