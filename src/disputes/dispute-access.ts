import { type Actor, auditActorOf, canSeeMerchant } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { constantTimeEqual } from '../credentials/hashing.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Db } from '../db/connect.js';
import type { DisputeTable } from '../disputes/dispute.tables.js';
import * as merchants from '../merchants/merchant.service.js';
import { hitRateLimit } from '../ratelimit/rate-limit.js';
import * as customers from '../refunds/customer-request.service.js';
import * as errors from './dispute.errors.js';
import type { DisputeActor, Party } from './dispute.js';
import * as repo from './dispute.repository.js';

const MINUTE = 60_000;

/**
 * Who calls: a customer (no account) proving themselves with the dispute's secret, or a signed-in
 * person whose role the route has already checked. For a refund dispute the secret is the refund's
 * tracking secret; for a payment dispute, the access secret returned when it was opened.
 */
export type DisputeCaller =
  | { kind: 'customer'; secret: string | undefined; ip: string }
  | { kind: 'staff'; actor: Actor };

/** Who the caller is to a dispute: its party, and the actor its events and audit records name. */
export interface Access {
  party: Party;
  actor: DisputeActor;
}

export const CUSTOMER: DisputeActor = { kind: 'customer', id: null };
export const SYSTEM: DisputeActor = { kind: 'system', id: null };

function partyOf(a: Actor): Party | undefined {
  if (a.role === 'supervisor' || a.role === 'merchant_owner') return 'merchant';
  if (a.role === 'acquirer_reviewer') return 'acquirer';
  if (a.role === 'platform_admin') return 'admin';
  return undefined;
}

/**
 * Finds the dispute and decides who the caller is to it. Unknown id, wrong secret and another
 * merchant's or acquirer's dispute all end in the same not_found. Takes the database, not a
 * connection: a customer's try counts against the rate limit on its own, committed at once. Callers that change the dispute
 * read it again in their transaction: the row returned here only decides who may go on.
 * @throws unauthenticated (no token and no secret), not_found, forbidden, rate_limited
 */
export async function reach(
  db: Db,
  ctx: AppContext,
  caller: DisputeCaller,
  id: string,
): Promise<{ row: DisputeTable } & Access> {
  const row = await repo.findDisputeRow(db.kysely, id);
  if (caller.kind === 'customer') {
    if (!caller.secret) throw errors.secretRequired();
    await hitRateLimit(db, ctx, `dispute-access:ip:${caller.ip}`, 300, 10 * MINUTE);
    let ok: boolean;
    if (row?.refund_id) {
      ok = (await customers.findRefundForCustomer(db.kysely, row.refund_id, caller.secret)) !== undefined;
    } else {
      ok = constantTimeEqual(row?.access_secret_hash ?? '0'.repeat(64), sha256Hex(caller.secret)) && !!row;
    }
    if (!row || !ok) throw errors.disputeNotFound();
    return { row, party: 'customer', actor: { ...CUSTOMER, ip: caller.ip } };
  }
  const merchant = row ? await merchants.findMerchant(db.kysely, row.merchant_id) : undefined;
  const a = caller.actor;
  if (!row || !merchant || !canSeeMerchant(a, { merchantId: merchant.id, acquirerId: merchant.acquirerId })) {
    throw errors.disputeNotFound();
  }
  const party = partyOf(a);
  if (!party) throw errors.notYourPart(`a ${a.role} takes no part in disputes`);
  return { row, party, actor: auditActorOf(a) };
}
