import type { AppContext } from '../context.js';
import { transaction } from '../db/transaction.js';
import { AppError } from '../errors.js';

/**
 * Fixed-window counters in the database, so that every `serve` process sees the same count
 * (public routes: per IP and per payment reference). One row per bucket, reset when its window
 * has passed.
 * @throws rate_limited (429) once `max` hits fall in one window
 */
export async function hitRateLimit(ctx: AppContext, bucket: string, max: number, windowMs: number): Promise<void> {
  const now = ctx.clock.now();
  const count = await transaction(ctx.db, async (trx) => {
    const row = await trx.selectFrom('rate_counters').selectAll().where('bucket', '=', bucket).executeTakeFirst();
    const fresh = !row || new Date(row.window_start).getTime() + windowMs <= now.getTime();
    if (!row) {
      await trx.insertInto('rate_counters').values({ bucket, window_start: now.toISOString(), count: 1 }).execute();
      return 1;
    }
    const next = fresh ? 1 : row.count + 1;
    await trx
      .updateTable('rate_counters')
      .set({ count: next, window_start: fresh ? now.toISOString() : row.window_start })
      .where('bucket', '=', bucket)
      .execute();
    return next;
  });
  if (count > max) throw new AppError('rate_limited', 'too many attempts: try again later');
}
