import { type AuditInput, recordAudit } from '../audit/audit.service.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { newId } from '../ids.js';
import { type NotificationTemplate, notifyMerchantOwner } from '../notifications/notification.service.js';
import * as errors from './credential.errors.js';
import * as repo from './credential.repository.js';
import { hashSecret, verifySecret } from './hashing.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { PasswordPolicy } from './password-policy.js';

/**
 * Names one secret for history and lockout: `refund_password:mer_…`, `user:usr_…`,
 * `operator:op_…`, `recovery_code:mer_…`, `unlock_code:trm_…`.
 */
export type SecretRef = string;

/**
 * How a lock is recorded and told. Every secret has one (the type requires it), so no secret locks
 * silently: the lock is audited, and a merchant's owner is e-mailed.
 */
export interface LockNotice {
  /** The chain that records it and whose owner is told; null: the platform chain, no owner. */
  merchantId: string | null;
  /** Who made the attempt that locked it. */
  actor: AuditInput['actor'];
  /** `<secret>.locked`, e.g. `refund_password.locked`. */
  action: string;
  objectType: string;
  objectId: string;
  terminalId?: string | null;
  /** The owner's e-mail: a template and its data (`until` is added). */
  template: NotificationTemplate;
  data: Record<string, unknown>;
}

export interface GuardedCheck {
  ref: SecretRef;
  policy: PasswordPolicy;
  /** The actual comparison (argon2 verify, HMAC compare…): runs only if the secret is not locked. */
  verify: () => Promise<boolean>;
  /** Recorded (audit, the owner's e-mail) by the attempt that locks the secret. */
  lockNotice: LockNotice;
}

/** The owner's e-mail (deduplicated per lock) and the audit event of a lock, in one transaction. */
async function recordLock(trx: Tx, ctx: AppContext, ref: SecretRef, n: LockNotice, until: string): Promise<void> {
  if (n.merchantId) {
    await notifyMerchantOwner(trx, ctx, n.merchantId, n.template, { ...n.data, until }, `lock:${ref}:${until}`);
  }
  await recordAudit(trx, ctx, {
    merchantId: n.merchantId,
    actor: n.actor,
    action: n.action,
    outcome: 'failure',
    objectType: n.objectType,
    objectId: n.objectId,
    terminalId: n.terminalId ?? null,
    details: { until },
  });
}

// One queue per database handle (in practice per process; per app instance in tests).
const mutexes = new WeakMap<object, KeyedMutex>();
function mutexOf(db: Db): KeyedMutex {
  let m = mutexes.get(db);
  if (!m) {
    m = new KeyedMutex();
    mutexes.set(db, m);
  }
  return m;
}

/**
 * Counts one attempt before it is verified (see `reserveAttempt`), in a short transaction of its
 * own: no lock is held while argon2 runs. Returns the lock this attempt set, if it set one.
 * @throws locked
 */
async function reserve(
  db: Db,
  ref: SecretRef,
  now: Date,
  policy: PasswordPolicy,
): Promise<{ engaged: string | null; failures: number }> {
  const nowIso = now.toISOString();
  const { maxFailures, lockMinutes } = policy.lockout;
  const until = new Date(now.getTime() + lockMinutes * 60_000).toISOString();
  // A retry is needed only when another process deleted the row between our insert and update
  // (a success or a lapsed lock reset it): the next round counts on the new row.
  for (let round = 0; round < 10; round++) {
    const r = await transaction(
      db,
      async (trx): Promise<{ engaged: string | null; failures: number } | { locked: string } | null> => {
        await repo.clearExpiredLock(trx, ref, nowIso);
        await repo.ensureLockoutRow(trx, ref, nowIso);
        const row = await repo.reserveAttempt(trx, ref, nowIso, maxFailures, until);
        if (row) return { engaged: row.locked_until, failures: Number(row.failures) };
        const lockedUntil = (await repo.findLockout(trx, ref))?.locked_until;
        return lockedUntil && lockedUntil > nowIso ? { locked: lockedUntil } : null;
      },
    );
    if (r && 'locked' in r) throw errors.locked(r.locked);
    if (r) return r;
  }
  throw new Error(`the lockout row of ${ref} kept changing: could not count the attempt`);
}

/**
 * Checks a secret under the lockout rule: N consecutive failures lock it for M minutes; a success
 * resets the count.
 *
 * Correct across processes: each attempt is counted as a failure *before* it is verified, by a
 * conditional update that refuses once the secret is locked, and the attempt that reaches N sets
 * the lock in that same statement (see `reserveAttempt`). So however many processes guess at once,
 * at most N verifications run before `locked`, and no database lock is held across the hash. A
 * success takes its attempt back by resetting the count (and lifts the lock only if it set that
 * lock itself); a failure leaves it counted, and the attempt that set the lock then records its
 * `lockNotice` (the audit event, the owner's e-mail). Under concurrency the count errs towards
 * locking: an attempt in flight is a failure until proven right, and a process that dies
 * mid-check leaves its attempt counted (and its lock set, but not yet told).
 *
 * Within one process, checks of one secret also run one at a time (KeyedMutex), so concurrent
 * correct entries (a busy merchant's terminals) queue for a few milliseconds each instead of
 * filling the count with in-flight reservations.
 * @throws locked (423, with `unlockAt`)
 */
export async function checkWithLockout(db: Db, ctx: AppContext, c: GuardedCheck): Promise<boolean> {
  return (await attemptWithLockout(db, ctx, c)).ok;
}

/**
 * One guarded check's outcome. A wrong entry says how many entries are left before the lock
 * (counting this one), and `lockedUntil` when this very entry set the lock.
 */
export type Attempt = { ok: true } | { ok: false; attemptsLeft: number; lockedUntil: string | null };

/** `checkWithLockout`, telling a wrong entry's attempts left and the lock it set. @throws locked */
export async function attemptWithLockout(db: Db, ctx: AppContext, c: GuardedCheck): Promise<Attempt> {
  return mutexOf(db).run(c.ref, async () => {
    const { engaged, failures } = await reserve(db, c.ref, ctx.clock.now(), c.policy);
    if (await c.verify()) {
      // A transaction, so that on SQLite it shares a group commit rather than an fsync of its own.
      await transaction(db, (trx) =>
        engaged ? repo.deleteOwnLock(trx, c.ref, engaged) : repo.resetLockout(trx, c.ref),
      );
      return { ok: true };
    }
    if (engaged) await transaction(db, (trx) => recordLock(trx, ctx, c.ref, c.lockNotice, engaged));
    // The failure was counted (committed) by `reserve` before the check ran.
    ctx.metrics.secretCheckFailed(secretKind(c.ref), engaged !== null);
    return { ok: false, attemptsLeft: Math.max(0, c.policy.lockout.maxFailures - failures), lockedUntil: engaged };
  });
}

/** Whether a secret is locked now, until when, and how many wrong entries it still takes. */
export async function lockStatus(
  conn: Conn,
  ctx: AppContext,
  ref: SecretRef,
  policy: PasswordPolicy,
): Promise<{ locked: boolean; unlockAt: string | null; attemptsLeft: number }> {
  const row = await repo.findLockout(conn, ref);
  const now = ctx.clock.now().toISOString();
  const unlockAt = row?.locked_until && row.locked_until > now ? row.locked_until : null;
  const failures = unlockAt ? policy.lockout.maxFailures : row && !row.locked_until ? Number(row.failures) : 0;
  return { locked: unlockAt !== null, unlockAt, attemptsLeft: Math.max(0, policy.lockout.maxFailures - failures) };
}

/** Clears failures and any lock, e.g. after a successful reset through recovery. */
export async function clearLockout(db: Db, ref: SecretRef): Promise<void> {
  await repo.deleteLockout(db.kysely, ref);
}

export async function lockoutState(conn: Conn, ref: SecretRef) {
  return repo.findLockout(conn, ref);
}

/**
 * True when `candidate` matches the current secret or any of the last `historySize` ones. Runs the
 * argon2 comparisons in parallel on the thread pool.
 */
export async function isReused(
  conn: Conn,
  ref: SecretRef,
  candidate: string,
  currentHash: string | null,
  historySize: number,
): Promise<boolean> {
  const hashes = new Set(await repo.listHistoryHashes(conn, ref, historySize));
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

/** Forgets secrets that no longer exist (a wiped terminal's operators): lockouts and history. */
export async function forgetSecrets(trx: Tx, refs: readonly string[]): Promise<void> {
  await repo.deleteSecrets(trx, refs);
}

/** Whether `hash` is the newest entry of the secret's history. */
export async function isNewestInHistory(conn: Conn, ref: SecretRef, hash: string): Promise<boolean> {
  return (await repo.listHistoryHashes(conn, ref, 1))[0] === hash;
}

/** The kind of a secret, without whose it is: `refund_password:mer_…` → `refund_password`. */
export function secretKind(ref: SecretRef): string {
  const kind = ref.slice(0, ref.indexOf(':'));
  return /^[a-z_]+$/.test(kind) ? kind : 'other';
}

/** How many secrets are locked now, by kind (`refund_password`, `user`, `operator`…). */
export async function countActiveLockouts(conn: Conn, now: Date): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const ref of await repo.listLockedRefs(conn, now.toISOString())) {
    const kind = secretKind(ref);
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
