/** Everything a deployment can set, read once from the environment. Documented in the README. */
export interface Config {
  host: string;
  port: number;
  databaseUrl: string;
  logLevel: string;
  /** Run the background worker in this process (refund review and processing, later notifications). */
  worker: boolean;
  /** How long the simulated processor takes to settle a refund: refunds are asynchronous. */
  refundProcessingDelayMs: number;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  bodyLimitBytes: number;
  seedDemo: boolean;
}

function int(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST || '127.0.0.1',
    port: int('PORT', 8080, env),
    databaseUrl: env.DATABASE_URL || './data/refunddesk.db',
    logLevel: env.LOG_LEVEL || 'info',
    worker: env.WORKER !== 'off',
    refundProcessingDelayMs: int('REFUND_PROCESSING_DELAY_MS', 3000, env),
    sessionIdleMinutes: int('SESSION_IDLE_MINUTES', 30, env),
    sessionAbsoluteHours: int('SESSION_ABSOLUTE_HOURS', 12, env),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 64 * 1024, env),
    seedDemo: env.SEED_DEMO !== 'off',
  };
}
