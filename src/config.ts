import { dirname, join } from 'node:path';
import { POLICY_BOUNDS } from './credentials/policy-bounds.js';

/** A setting in the environment that cannot be used: `refunddesk` says so and exits 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Everything a deployment can set, read once from the environment. Documented in the README. */
export interface Config {
  host: string;
  port: number;
  /**
   * Where customers reach this server from outside (`https://refunds.example.com`), without a
   * trailing slash: the tracking links in answers, e-mails and SMS start with it.
   */
  publicBaseUrl: string;
  databaseUrl: string;
  logLevel: string;
  /** Run the background worker in this process (refund review and processing, later notifications). */
  worker: boolean;
  /** SQLite: commit concurrent use cases together, one fsync for many (`GROUP_COMMIT=off` for one each). */
  groupCommit: boolean;
  /** PostgreSQL: named statements, parsed once per connection (`PG_NAMED_STATEMENTS=off` behind a pooler that cannot keep them). */
  pgNamedStatements: boolean;
  /** How long the simulated processor takes to settle a refund: refunds are asynchronous. */
  refundProcessingDelayMs: number;
  /**
   * Admission control (src/http/admission.ts): new refunds are held, then refused (503 `busy`),
   * while more than this many jobs wait for a worker (0: never).
   */
  admissionMaxWaitingJobs: number;
  /** How long admission control holds a request at the door at most before it answers 503 `busy`. */
  admissionMaxWaitMs: number;
  /** Requests admission control holds at once at most; beyond them a request is refused at once. */
  admissionMaxHeld: number;
  /** How long a stopping `serve` waits for requests in flight and the worker's job before exiting 1. */
  stopGraceSeconds: number;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  bodyLimitBytes: number;
  seedDemo: boolean;
  /** Refund passwords expire after this many days (0 = never). */
  refundPasswordExpiryDays: number;
  lockoutMaxFailures: number;
  lockoutMinutes: number;
  /** nodemailer SMTP URL (`smtp://user:pass@host:587`); unset: e-mails stay in the local outbox. */
  smtpUrl?: string;
  smtpFrom: string;
  /** HTTP SMS gateway (POST JSON, Bearer SMS_PROVIDER_KEY); unset: SMS stay in the local outbox. */
  smsProviderUrl?: string;
  smsProviderKey?: string;
  /** Webhook URLs may point at private/loopback hosts. Default on, except when NODE_ENV=production. */
  webhookAllowPrivate: boolean;
  /** The server's secret key (32 bytes, hex or base64; see secret-key.ts); unset: a generated `secret.key` file. */
  secretKey?: string;
  /** Days of negotiation before a customer may escalate a dispute the merchant did not reject. */
  disputeEscalationDays: number;
  /** Days the acquirer has to rule on an escalated dispute. */
  disputeMediationDays: number;
  /** Days a third party's case-file share link stays valid. */
  caseFileShareDays: number;
  /** Backups (src/backups/): passphrase that encrypts them; how often `serve` takes one (unset: never); where; how many kept. */
  backupKey?: string;
  backupIntervalMs?: number;
  backupDir: string;
  backupKeep: number;
  /**
   * The bearer token `GET /metrics` requires (at least 16 characters); unset: /metrics answers
   * loopback clients (127.0.0.1, ::1) only.
   */
  metricsToken?: string;
}

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `24h`, `7d`: at least a minute, at most a year. */
function duration(name: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[name];
  if (!raw || raw === 'off') return undefined;
  const m = /^(\d+)\s*([mhd])$/.exec(raw.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2]] : Number.NaN;
  if (!(ms >= 60_000 && ms <= 366 * 86_400_000)) {
    throw new ConfigError(`${name} must be a duration such as 30m, 24h or 7d (1m to 366d), got "${raw}"`);
  }
  return ms;
}

/** Backups go beside the SQLite file by default (`./data/backups` for PostgreSQL). */
function defaultBackupDir(databaseUrl: string): string {
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  return /^postgres(ql)?:\/\//.test(databaseUrl) || file === ':memory:'
    ? 'data/backups'
    : join(dirname(file), 'backups');
}

function optionalUrl(name: string, schemes: string[], env: NodeJS.ProcessEnv, requires?: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  if (requires && !env[requires]) throw new ConfigError(`${requires} is required when ${name} is set`);
  let scheme: string;
  try {
    scheme = new URL(raw).protocol;
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (!schemes.includes(scheme)) throw new ConfigError(`${name} must start with ${schemes.join(' or ')}//`);
  return raw;
}

function int(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

/**
 * A platform password-policy setting, held to the same PCI DSS bounds as a merchant's override
 * (POLICY_BOUNDS): refused at startup rather than silently weakening every merchant.
 */
function bounded(
  name: string,
  fallback: number,
  env: NodeJS.ProcessEnv,
  bounds: { min: number; max: number },
  why: string,
  allowZero = false,
): number {
  const n = int(name, fallback, env);
  if ((allowZero && n === 0) || (n >= bounds.min && n <= bounds.max)) return n;
  const range = `${bounds.min}–${bounds.max}${allowZero ? ', or 0 for never' : ''}`;
  throw new ConfigError(`${name} must be ${range} (${why}), got "${env[name]}"`);
}

/** `PUBLIC_BASE_URL`, or the serve address (a wildcard host read as localhost). */
function publicBaseUrl(env: NodeJS.ProcessEnv, host: string, port: number): string {
  const raw = optionalUrl('PUBLIC_BASE_URL', ['http:', 'https:'], env);
  if (raw) {
    const u = new URL(raw);
    if (u.search || u.hash || u.username || u.password) {
      throw new ConfigError('PUBLIC_BASE_URL must be a plain origin and path, without query, fragment or credentials');
    }
    return raw.replace(/\/+$/, '');
  }
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

function metricsToken(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.METRICS_TOKEN;
  if (!raw) return undefined;
  if (!/^[\x21-\x7e]{16,}$/.test(raw)) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 printable characters without spaces');
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const port = int('PORT', 8080, env);
  return {
    host,
    port,
    publicBaseUrl: publicBaseUrl(env, host, port),
    databaseUrl: env.DATABASE_URL || './data/refunddesk.db',
    logLevel: env.LOG_LEVEL || 'info',
    worker: env.WORKER !== 'off',
    groupCommit: env.GROUP_COMMIT !== 'off',
    pgNamedStatements: env.PG_NAMED_STATEMENTS !== 'off',
    refundProcessingDelayMs: int('REFUND_PROCESSING_DELAY_MS', 3000, env),
    stopGraceSeconds: Math.max(1, int('STOP_GRACE_SECONDS', 10, env)),
    admissionMaxWaitingJobs: Math.max(0, int('ADMISSION_MAX_WAITING_JOBS', 2000, env)),
    admissionMaxWaitMs: Math.max(0, int('ADMISSION_MAX_WAIT_MS', 5000, env)),
    admissionMaxHeld: Math.max(0, int('ADMISSION_MAX_HELD', 256, env)),
    sessionIdleMinutes: int('SESSION_IDLE_MINUTES', 30, env),
    sessionAbsoluteHours: int('SESSION_ABSOLUTE_HOURS', 12, env),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 64 * 1024, env),
    seedDemo: env.SEED_DEMO !== 'off',
    refundPasswordExpiryDays: bounded(
      'REFUND_PASSWORD_EXPIRY_DAYS',
      90,
      env,
      POLICY_BOUNDS.expiryDays,
      'PCI DSS 8.3.9: change at least every 90 days; at least 15, above the 14-day reminder',
      true,
    ),
    disputeEscalationDays: int('DISPUTE_ESCALATION_DAYS', 7, env),
    disputeMediationDays: int('DISPUTE_MEDIATION_DAYS', 10, env),
    caseFileShareDays: Math.max(1, int('CASE_FILE_SHARE_DAYS', 30, env)),
    lockoutMaxFailures: bounded(
      'LOCKOUT_MAX_FAILURES',
      5,
      env,
      POLICY_BOUNDS.maxFailures,
      'PCI DSS 8.3.4: lock after at most 10 tries',
    ),
    lockoutMinutes: bounded(
      'LOCKOUT_MINUTES',
      30,
      env,
      POLICY_BOUNDS.lockMinutes,
      'PCI DSS 8.3.4: locked for at least 30 minutes',
    ),
    smtpUrl: optionalUrl('SMTP_URL', ['smtp:', 'smtps:'], env),
    smtpFrom: env.SMTP_FROM || 'RefundDesk <no-reply@refunddesk.local>',
    smsProviderUrl: optionalUrl('SMS_PROVIDER_URL', ['http:', 'https:'], env, 'SMS_PROVIDER_KEY'),
    smsProviderKey: env.SMS_PROVIDER_KEY || undefined,
    webhookAllowPrivate: !['off', 'false', '0'].includes(
      (env.WEBHOOK_ALLOW_PRIVATE || (env.NODE_ENV === 'production' ? 'off' : 'on')).toLowerCase(),
    ),
    secretKey: env.SECRET_KEY || undefined,
    backupKey: env.BACKUP_KEY || undefined,
    backupIntervalMs: duration('BACKUP_INTERVAL', env),
    backupDir: env.BACKUP_DIR || defaultBackupDir(env.DATABASE_URL || './data/refunddesk.db'),
    backupKeep: bounded('BACKUP_KEEP', 7, env, { min: 1, max: 10_000 }, 'how many scheduled backups to keep'),
    metricsToken: metricsToken(env),
  };
}
