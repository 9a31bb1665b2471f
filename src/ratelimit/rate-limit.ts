import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import * as errors from './rate-limit.errors.js';

/**
 * Fixed-window counters in the database, so that every `serve` process sees the same count
 * (public routes: per IP and per payment reference). One row per bucket, reset when its window
 * has passed.
 * Takes the database, not a transaction: a hit counts on its own, committed at once, even when the
 * request it guards fails and rolls back.
 * @throws rate_limited (429) once `max` hits fall in one window
 */
export async function hitRateLimit(
  db: Db,
  ctx: AppContext,
  bucket: string,
  max: number,
  windowMs: number,
): Promise<void> {
  const now = ctx.clock.now().toISOString();
  const windowStartedBefore = new Date(ctx.clock.now().getTime() - windowMs).toISOString();
  // One statement, so that two first hits on a bucket cannot both insert (PostgreSQL): a new
  // bucket starts at 1; an old one counts up, or restarts at 1 once its window has passed.
  const row = await db.kysely
    .insertInto('rate_counters')
    .values({ bucket, window_start: now, count: 1 })
    .onConflict((oc) =>
      oc.column('bucket').doUpdateSet((eb) => ({
        count: eb
          .case()
          .when('rate_counters.window_start', '<=', windowStartedBefore)
          .then(1)
          .else(eb('rate_counters.count', '+', 1))
          .end(),
        window_start: eb
          .case()
          .when('rate_counters.window_start', '<=', windowStartedBefore)
          .then(now)
          .else(eb.ref('rate_counters.window_start'))
          .end(),
      })),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  if (Number(row.count) > max) throw errors.tooManyAttempts();
}
