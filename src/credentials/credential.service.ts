import type { AppContext } from '../context.js';
import { type Tx, transaction } from '../db/transaction.js';
import { newId } from '../ids.js';
import * as errors from './credential.errors.js';
import * as repo from './credential.repository.js';
import { hashSecret, verifySecret } from './hashing.js';
import { KeyedMutex } from './keyed-mutex.js';
import { defaultPolicy, mergePolicy, type PasswordPolicy, type PolicyOverride } from './password-policy.js';

/**
 * Names one secret for history and lockout: `refund_password:mer_…`, `user:usr_…`,
 * `operator:op_…`, `recovery_code:mer_…`, `unlock_code:trm_…`.
 */
export type SecretRef = string;

/** The platform policy (defaults, then environment), then the merchant's own override. */
export function policyFor(ctx: AppContext, merchantOverride?: string | null): PasswordPolicy {
  const platform = mergePolicy(defaultPolicy, {
    refundPassword: { expiryDays: ctx.config.refundPasswordExpiryDays },
    lockout: { maxFailures: ctx.config.lockoutMaxFailures, lockMinutes: ctx.config.lockoutMinutes },
  });
  return merchantOverride ? mergePolicy(platform, JSON.parse(merchantOverride) as PolicyOverride) : platform;
}

export interface GuardedCheck {
  ref: SecretRef;
  policy: PasswordPolicy;
  /** The actual comparison (argon2 verify, HMAC compare…): runs only if the secret is not locked. */
  verify: () => Promise<boolean>;
  /** Called in the transaction that engages the lock: audit it, tell the owner. */
  onLocked?: (trx: Tx, until: string) => Promise<void>;
}

const checks = new KeyedMutex();

/**
 * Checks a secret under the lockout rule: N consecutive failures lock it for M minutes; a success
 * resets the count. Checks of one secret run one at a time (KeyedMutex), so a burst of concurrent
 * guesses meets the lock after the N-th failure instead of all being hashed at once; concurrent
 * correct entries (a busy merchant's terminals) merely queue for a few milliseconds each.
 * @throws locked (423, with `unlockAt`)
 */
export async function checkWithLockout(ctx: AppContext, c: GuardedCheck): Promise<boolean> {
  return checks.run(c.ref, async () => {
    const nowIso = ctx.clock.now().toISOString();
    const { maxFailures, lockMinutes } = c.policy.lockout;
    const row = await repo.findLockout(ctx.db.kysely, c.ref);
    if (row?.locked_until && row.locked_until > nowIso) throw errors.locked(row.locked_until);
    if (await c.verify()) {
      if (row) await repo.resetLockout(ctx.db.kysely, c.ref);
      return true;
    }
    await transaction(ctx.db, async (trx) => {
      await repo.clearExpiredLock(trx, c.ref, nowIso);
      const failures = await repo.incrementAttempts(trx, c.ref, nowIso);
      if (failures >= maxFailures) {
        const until = new Date(ctx.clock.now().getTime() + lockMinutes * 60_000).toISOString();
        await repo.lockUntil(trx, c.ref, until, nowIso);
        await c.onLocked?.(trx, until);
      }
    });
    return false;
  });
}

/** Clears failures and any lock, e.g. after a successful reset through recovery. */
export async function clearLockout(ctx: AppContext, ref: SecretRef): Promise<void> {
  await repo.deleteLockout(ctx.db.kysely, ref);
}

export async function lockoutState(ctx: AppContext, ref: SecretRef) {
  return repo.findLockout(ctx.db.kysely, ref);
}

/**
 * True when `candidate` matches the current secret or any of the last `historySize` ones. Runs the
 * argon2 comparisons in parallel on the thread pool.
 */
export async function isReused(
  ctx: AppContext,
  ref: SecretRef,
  candidate: string,
  currentHash: string | null,
  historySize: number,
): Promise<boolean> {
  const hashes = new Set(await repo.listHistoryHashes(ctx.db.kysely, ref, historySize));
  if (currentHash) hashes.add(currentHash);
  const results = await Promise.all([...hashes].map((h) => verifySecret(h, candidate)));
  return results.some(Boolean);
}

/** Hashes a new secret and records it in the history (kept to `historySize`), in the caller's tx. */
export async function recordNewSecret(trx: Tx, ctx: AppContext, ref: SecretRef, hash: string, historySize: number) {
  await repo.insertHistory(trx, { id: newId('evt'), secret_ref: ref, hash, created_at: ctx.clock.now().toISOString() });
  await repo.trimHistory(trx, ref, historySize);
}

export { hashSecret };
