import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.js';
import { armFailpoint } from '../../src/db/failpoints.js';
import type { EngineName } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';
import { checkInvariants, type Violation } from './invariants.js';
import { Rng } from './rng.js';
import { type Anomaly, OP_WEIGHTS, World } from './world.js';

/**
 * The randomized money checker (after Jepsen's bank test and TigerBeetle's VOPR): concurrent
 * actors — cashier, supervisor, owner, API key, customer, reviewer, the worker and, on PostgreSQL,
 * a second worker process — perform random operations over every money path; after every round
 * `checkInvariants` reads the database. One seed drives every choice and is printed.
 */
export interface SimulationOptions {
  engine: EngineName;
  seed: number;
  /** Stop after this many rounds, or when `seconds` have passed, whichever comes first. */
  rounds?: number;
  seconds?: number;
  /** Stop at the first round with an anomaly (the default): its seed and round replay it. */
  stopOnAnomaly?: boolean;
  log?: (line: string) => void;
  /** Called with the harness before the first round (the self-check plants a bug here). */
  prepare?: (h: Harness) => void | Promise<void>;
  /** Called with the harness after the last round, before its database is dropped (e.g. to back it up). */
  finish?: (h: Harness) => void | Promise<void>;
}

export interface SimulationResult {
  seed: number;
  engine: EngineName;
  rounds: number;
  operations: number;
  seconds: number;
  anomalies: (Anomaly | (Violation & { round: number }))[];
  counts: Record<string, number>;
}

/** A second worker in its own process, on the same database, told the test's time for each run. */
function startSecondWorker(config: Config) {
  const { databaseUrl, secretKey, refundProcessingDelayMs } = config;
  const settings = JSON.stringify({ secretKey, refundProcessingDelayMs, logLevel: 'silent' });
  const child = fork(fileURLToPath(new URL('./worker-process.ts', import.meta.url)), [databaseUrl, settings], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 0;
  const waiting = new Map<number, (r: { ran?: number; error?: string }) => void>();
  child.on('message', (m: { id: number; ran?: number; error?: string }) => waiting.get(m.id)?.(m));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`second worker exited with ${code}`)));
  });
  return {
    ready,
    run: (now: Date) =>
      new Promise<{ ran?: number; error?: string }>((resolve) => {
        const id = ++next;
        waiting.set(id, (r) => {
          waiting.delete(id);
          resolve(r);
        });
        child.send({ id, now: now.toISOString() });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Random pauses while a transaction holds a payment's lock (after VOPR's scheduler): they widen
 * the windows in which another path can slip in, so a path that reads without the lock meets a
 * concurrent writer in a bounded run rather than once a month. The delays come from their own
 * seeded generator.
 */
function armDelays(rng: Rng): (() => void)[] {
  const pause = (p: number, maxMs: number) => async () => {
    if (rng.chance(p)) await new Promise((resolve) => setTimeout(resolve, rng.int(1, maxMs)));
  };
  return [armFailpoint('payment:locked', pause(0.2, 20)), armFailpoint('dispute-ruling:released', pause(0.8, 150))];
}

export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const log = opts.log ?? (() => {});
  const h = await openHarness(opts.engine, {
    refundPasswordExpiryDays: 0,
    sessionIdleMinutes: 10_000_000,
    sessionAbsoluteHours: 1_000_000,
    // A day of negotiation, so that the clock's steps reach escalations, rulings and their races.
    disputeEscalationDays: 1,
  });
  const rng = new Rng(opts.seed);
  const second = opts.engine === 'postgres' ? startSecondWorker(h.ctx.config) : undefined;
  const anomalies: SimulationResult['anomalies'] = [];
  const disarm: (() => void)[] = [];
  const started = Date.now();
  let world: World | undefined;
  try {
    await second?.ready;
    await opts.prepare?.(h);
    disarm.push(...armDelays(new Rng(opts.seed + 1)));
    world = new World(
      h,
      rng,
      second
        ? async () => {
            const r = await second.run(h.clock.now());
            if (r.error) anomalies.push({ round: world?.round ?? 0, kind: 'worker_error', detail: r.error });
          }
        : undefined,
    );
    const deadline = opts.seconds ? started + opts.seconds * 1000 : Number.POSITIVE_INFINITY;
    const rounds = opts.rounds ?? Number.POSITIVE_INFINITY;
    while (world.round < rounds && Date.now() < deadline) {
      world.round++;
      const snapshot = await world.snapshot();
      const n = rng.int(3, 16);
      const ops = Array.from({ length: n }, () => rng.weighted(OP_WEIGHTS));
      await Promise.all(ops.map((op) => world?.perform(op, snapshot)));
      world.advanceClock();
      await h.drain(); // the round's due work, so that "no job lost" is judged on settled state
      for (const v of await checkInvariants(h.db)) anomalies.push({ ...v, round: world.round });
      anomalies.push(...world.anomalies.splice(0));
      if (world.round % 10 === 0) {
        log(`round ${world.round}: ${world.operations} operations, ${anomalies.length} anomalies`);
      }
      if (anomalies.length > 0 && opts.stopOnAnomaly !== false) break;
    }
    await opts.finish?.(h);
    return {
      seed: opts.seed,
      engine: opts.engine,
      rounds: world.round,
      operations: world.operations,
      seconds: (Date.now() - started) / 1000,
      anomalies,
      counts: Object.fromEntries(world.counts),
    };
  } finally {
    for (const d of disarm) d();
    await second?.stop();
    await h.close();
  }
}

/** One line a person can act on: what broke, and the command that replays it. */
export function describeResult(r: SimulationResult): string {
  const head = `money checker (${r.engine}), seed ${r.seed}: ${r.rounds} rounds, ${r.operations} operations in ${r.seconds.toFixed(1)} s (${(r.operations / r.seconds).toFixed(0)} ops/s), ${r.anomalies.length} anomalies`;
  const replay = `replay: npm run soak -- --engine ${r.engine} --seed ${r.seed} --rounds ${r.rounds}`;
  if (r.anomalies.length === 0) return head;
  const first = r.anomalies
    .slice(0, 5)
    .map((a) => `  round ${a.round}: ${a.kind}: ${a.detail}`)
    .join('\n');
  return `${head}\n${first}\n${replay}`;
}
