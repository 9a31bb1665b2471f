import type { FastifyInstance } from 'fastify';
import { type Db, ping } from '../db/connect.js';
import { pendingMigrations } from '../db/migrate.js';
import { type ProcessContext, workerState } from '../runtime.js';

const CHECK_TIMEOUT_MS = 2_000;

/** Rejects when `p` takes longer than `ms`: a database that hangs is as unready as one that refuses. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export interface Readiness {
  ready: boolean;
  /** The checks that failed, by name; empty when ready. */
  failed: string[];
  checks: {
    database: { ok: boolean; engine: string; error?: string };
    migrations: { ok: boolean; pending?: string[]; error?: string };
    worker: { ok: boolean; state: 'running' | 'stopped' | 'disabled' };
  };
}

/**
 * Ready to take traffic: the database answers, every migration this RefundDesk knows has run, and
 * the worker runs — or this process was started without one on purpose (`WORKER=off`). A stopping
 * process (SIGTERM) reports its worker stopped, so a load balancer drains it.
 */
export async function readiness(db: Db, ctx: ProcessContext): Promise<Readiness> {
  const why = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 200);
  const database: Readiness['checks']['database'] = { ok: true, engine: db.engine };
  let migrations: Readiness['checks']['migrations'];
  try {
    await within(ping(db), CHECK_TIMEOUT_MS);
    const pending = await within(pendingMigrations(db), CHECK_TIMEOUT_MS);
    migrations = { ok: pending.length === 0, pending };
  } catch (e) {
    Object.assign(database, { ok: false, error: why(e) });
    migrations = { ok: false, error: 'the database did not answer' };
  }
  const state = workerState(ctx);
  const checks = { database, migrations, worker: { ok: state !== 'stopped', state } };
  const failed = Object.entries(checks)
    .filter(([, c]) => !c.ok)
    .map(([name]) => name);
  return { ready: failed.length === 0, failed, checks };
}

/**
 * `/healthz`: the process is alive and reaches its database (for restarts). `/readyz`: it may take
 * traffic (for load balancers), 503 with the failing checks otherwise. Neither is in the OpenAPI
 * document, both are public and carry nothing secret.
 */
export function healthRoutes(app: FastifyInstance, db: Db, ctx: ProcessContext): void {
  app.get('/healthz', { schema: { hide: true } }, async () => {
    await ping(db);
    return { status: 'ok', engine: db.engine };
  });
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const r = await readiness(db, ctx);
    return reply
      .code(r.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: r.ready ? 'ready' : 'not_ready', failed: r.failed, checks: r.checks });
  });
}
