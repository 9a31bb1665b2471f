import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import * as errors from './dispute.errors.js';
import { type Dispute, type DisputeStatus, redactPans } from './dispute.js';
import * as repo from './dispute.repository.js';
import { type DisputeCaller, reach } from './dispute-access.js';
import { step } from './dispute-step.js';
import { loadDispute } from './dispute-view.js';

/**
 * The customer rates how a closed dispute was resolved, 1–5 with a comment, once.
 * @throws unauthenticated, not_found, forbidden, invalid_transition (not closed), dispute_already_rated
 */
export async function rateResolution(
  db: Db,
  ctx: AppContext,
  caller: DisputeCaller,
  id: string,
  input: { score: number; comment?: string },
): Promise<Dispute> {
  const { row, party, actor } = await reach(db, ctx, caller, id);
  if (party !== 'customer') throw errors.notYourPart('only the customer rates the resolution');
  if (row.status !== 'closed') throw errors.invalidTransition(row.status as DisputeStatus, 'rated');
  const comment = input.comment?.trim() ? redactPans(input.comment.trim()) : null;
  await transaction(db, async (tx) => {
    const at = ctx.clock.now().toISOString();
    const set = { rating: input.score, rating_comment: comment, rated_at: at, updated_at: at };
    // Conditional (closed, not yet rated): zero rows means it was rated already.
    if (!(await repo.setRating(tx, id, set))) throw errors.alreadyRated();
    const rated = await repo.findDisputeRow(tx, id);
    if (!rated) throw errors.disputeNotFound();
    await step(tx, ctx, rated, actor, {
      kind: 'rated',
      note: `${input.score}/5`,
      action: 'dispute.rated',
      details: { score: input.score },
    });
  });
  return loadDispute(db.kysely, ctx, id);
}
