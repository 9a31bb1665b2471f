import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { jobsWaiting } from '../jobs/job.service.js';
import { busy } from './http.errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes new work for the worker (a refund asked for): held while the outbox is deep. */
    admission?: boolean;
  }
}

/** How long one count of the waiting jobs is trusted (one bounded read per interval, not per request). */
const MEASURE_EVERY_MS = 100;

/**
 * Admission control. A refund is acknowledged when it is stored, but it succeeds only once the
 * worker has reviewed and processed it; a server that took refunds faster than its worker can
 * finish them would grow its outbox, and the customers' wait, without bound. So while more than
 * `ADMISSION_MAX_WAITING_JOBS` jobs wait for a worker, a route that takes new work holds the
 * request at the door (a timer, no CPU) until the worker has caught up — `ADMISSION_MAX_WAIT_MS`
 * at most, then 503 `busy` with `Retry-After`; past `ADMISSION_MAX_HELD` held requests it answers at once. Everything
 * else (reads, decisions on refunds already taken, the worker itself) goes on. A client that waits
 * for its answer is slowed to the pace the worker keeps, instead of a flood of refusals taking the
 * worker's CPU. The count is the outbox's, in the database, so it is the same for every `serve`
 * process sharing it, and it moves as soon as a refund is taken (a lag would show only seconds
 * later, after the door had let a burst through). Checked before authentication: a held or
 * refused request costs no password or key check.
 */
export function registerAdmission(app: FastifyInstance, db: Db, ctx: AppContext): void {
  const { admissionMaxWaitingJobs: max, admissionMaxWaitMs: maxWaitMs, admissionMaxHeld: maxHeld } = ctx.config;
  if (max <= 0) return;
  let measured = { at: Number.NEGATIVE_INFINITY, waiting: 0 };
  let measuring: Promise<number> | undefined;
  const waitingJobs = (): Promise<number> | number => {
    const now = ctx.clock.now();
    if (now.getTime() - measured.at < MEASURE_EVERY_MS) return measured.waiting;
    measuring ??= jobsWaiting(db.kysely, now, max + 1)
      .then((waiting) => {
        measured = { at: now.getTime(), waiting };
        return waiting;
      })
      .finally(() => {
        measuring = undefined;
      });
    return measuring;
  };
  let held = 0;
  app.addHook('onRequest', async (request, reply) => {
    if (!request.routeOptions.config.admission) return;
    let waiting = await waitingJobs();
    if (waiting <= max) return;
    if (held < maxHeld) {
      held++;
      try {
        const until = performance.now() + maxWaitMs;
        while (waiting > max && performance.now() < until) {
          await sleep(MEASURE_EVERY_MS);
          waiting = await waitingJobs();
        }
      } finally {
        held--;
      }
      if (waiting <= max) return;
    }
    reply.header('retry-after', '1');
    throw busy(max);
  });
}
