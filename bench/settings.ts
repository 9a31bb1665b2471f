/**
 * Benchmark knobs, read once from the environment. Defaults keep `npm run bench` near 2 minutes;
 * `npm run bench -- --quick` shortens every phase (under 2 minutes in all, for a quick look).
 */
const quick = process.argv.includes('--quick');

function int(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return Math.round(n);
}

function stallMode(v: string | undefined): 'over' | 'right' {
  if (v === undefined || v === '' || v === 'over') return 'over';
  if (v === 'right') return v;
  if (v === 'wrong') {
    throw new Error(
      'BENCH_STALL_MODE=wrong is gone: LOCKOUT_MAX_FAILURES is held to PCI DSS 3–10, so wrong passwords lock after at most 10',
    );
  }
  throw new Error(`BENCH_STALL_MODE must be over or right, got "${v}"`);
}

export const settings = {
  quick,
  /** Where the figures are written as JSON (schema: bench/results.schema.md). */
  json: process.env.BENCH_JSON ?? 'bench-results.json',
  /** Seconds per measured phase (each round of phase 1, each half of phase 3). */
  duration: int('BENCH_DURATION', quick ? 5 : 10),
  /** Seconds of warm-up load per server before phase 1 measures (JIT, page cache). */
  warmup: int('BENCH_WARMUP', quick ? 1 : 3, 0),
  /** Phase 1 rounds; servers alternate A B, B A, … so drift on a noisy machine hits both alike. */
  rounds: int('BENCH_ROUNDS', quick ? 1 : 2),
  connections: int('BENCH_CONNECTIONS', 32),
  /** Sales of 1,000,000 minor units created before phase 1; refunds rotate over them. */
  sales: int('BENCH_SALES', quick ? 300 : 1000),
  /** Sequential argon2id verifies in phase 2. */
  verifyRuns: int('BENCH_VERIFY_RUNS', quick ? 30 : 100),
  /** Concurrent refund-password checks in phase 3. */
  stallConcurrency: int('BENCH_STALL_CONCURRENCY', 16),
  /** /healthz probes per second in phase 3 (open loop: sent on a timer, not after the previous answer). */
  probeRate: int('BENCH_PROBE_RATE', 200),
  /**
   * What the phase-3 refund requests send. `over` (default): the right refund password and an amount
   * above the payment's refundable amount, so argon2 runs in full, the password check succeeds
   * (no lockout counting up), and the refund is then refused (422) in a rolled-back transaction:
   * nothing is reserved. `right`: real refunds of 1 (each commits).
   */
  stallMode: stallMode(process.env.BENCH_STALL_MODE),
};
