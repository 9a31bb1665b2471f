import { recordAudit, recordAuditNow } from '../audit/audit.service.js';
import { type Actor, assertRole, auditActorOf, canSeeMerchant, type Role } from '../auth/actor.js';
import * as sessions from '../auth/session-revocation.js';
import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Db } from '../db/connect.js';
import { failpoint } from '../db/failpoints.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import { notifyMerchantOwner } from '../notifications/notification.service.js';
import * as errors from './credential.errors.js';
import {
  attemptWithLockout,
  clearLockout,
  hashSecret,
  isNewestInHistory,
  isReused,
  type LockNotice,
  lockStatus,
  recordNewSecret,
} from './credential.service.js';
import { verifySecret } from './hashing.js';
import { daysUntilExpiry, policyFor, refundPasswordViolation } from './password-policy.js';

/**
 * The merchant's refund password (退款密码): what authorises refunds and voids at the terminal.
 * Checked under lockout and expiry; changed only with the current one (or through recovery);
 * never reused, never shown, never logged.
 */
export const refundPasswordRef = (merchantId: string) => `refund_password:${merchantId}`;

/** Who may read the refund password's status (never the password), and who may change it. */
export const REFUND_PASSWORD_STATUS_ROLES: readonly Role[] = ['cashier', 'supervisor', 'merchant_owner'];
export const REFUND_PASSWORD_CHANGE_ROLES: readonly Role[] = ['supervisor', 'merchant_owner'];

export type AuditActor = { kind: string; id: string | null; ip?: string | null };

async function recordOf(conn: Conn, ctx: AppContext, merchantId: string) {
  const r = await merchants.findRefundPasswordRecord(conn, merchantId);
  if (!r) throw notFound('merchant');
  return { ...r, policy: policyFor(ctx, r.policyOverride) };
}

export interface RefundPasswordStatus {
  /** False after a terminal re-initialisation unset it: refunds wait for a new one. */
  set: boolean;
  changedAt: string | null;
  expiresAt: string | null;
  daysLeft: number | null;
  expired: boolean;
  /** True from `warnDays` before expiry: login and the terminal show the reminder. */
  reminder: boolean;
  /** Locked after too many wrong entries, until `unlockAt`. */
  locked: boolean;
  unlockAt: string | null;
  /** Wrong entries it still takes to lock (0 while locked). */
  attemptsLeft: number;
}

export async function refundPasswordStatus(
  conn: Conn,
  ctx: AppContext,
  merchantId: string,
): Promise<RefundPasswordStatus> {
  const r = await recordOf(conn, ctx, merchantId);
  return { ...statusOf(ctx, r), ...(await lockStatus(conn, ctx, refundPasswordRef(merchantId), r.policy)) };
}

type ExpiryStatus = Omit<RefundPasswordStatus, 'locked' | 'unlockAt' | 'attemptsLeft'>;

function statusOf(ctx: AppContext, r: Awaited<ReturnType<typeof recordOf>>): ExpiryStatus {
  const { expiryDays, warnDays } = r.policy.refundPassword;
  const daysLeft = daysUntilExpiry(r.changedAt, expiryDays, ctx.clock.now());
  const expiresAt =
    daysLeft === null || !r.changedAt
      ? null
      : new Date(new Date(r.changedAt).getTime() + expiryDays * 86_400_000).toISOString();
  const expired = expiresAt !== null && expiresAt <= ctx.clock.now().toISOString();
  return {
    set: r.hash !== null,
    changedAt: r.changedAt,
    expiresAt,
    daysLeft,
    expired,
    reminder: daysLeft !== null && daysLeft <= warnDays,
  };
}

/** The status for the merchant's own people. @throws not_found */
export async function refundPasswordStatusFor(conn: Conn, ctx: AppContext, actor: Actor, merchantId: string) {
  assertRole(actor, REFUND_PASSWORD_STATUS_ROLES);
  if (actor.merchantId !== merchantId) throw notFound('merchant');
  return refundPasswordStatus(conn, ctx, merchantId);
}

function refundPasswordLockNotice(merchantId: string, merchantName: string, actor: Actor): LockNotice {
  return {
    merchantId,
    actor: auditActorOf(actor),
    action: 'refund_password.locked',
    objectType: 'merchant',
    objectId: merchantId,
    terminalId: actor.terminalId,
    template: 'refund_password_locked',
    data: { merchantName },
  };
}

declare const stampBrand: unique symbol;
/**
 * Which refund password a check verified: a digest of its stored hash. The hash has a random salt,
 * so every set, change or reset gives a new stamp, even within the same millisecond (a stamp of
 * `changed_at` would not see two changes at one clock reading). Opaque; not a secret.
 */
export type RefundPasswordStamp = string & { readonly [stampBrand]: true };

const stampOf = (hash: string) => sha256Hex(hash) as RefundPasswordStamp;

/**
 * Checks the refund password before a refund or a void: outside any write transaction (argon2
 * takes ~15 ms). Failures count toward the lockout and are audited. Returns the stamp of the
 * password it verified: the transaction that acts on it re-checks it cheaply
 * (`assertRefundPasswordUnchanged`), under its lock, so a change in between cannot slip through.
 * @throws refund_password_required, refund_password_invalid, refund_password_expired, locked
 */
export async function verifyRefundPassword(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  merchantId: string,
  password: string | undefined,
  purpose: string,
): Promise<RefundPasswordStamp> {
  const r = await recordOf(db.kysely, ctx, merchantId);
  if (!r.hash) throw errors.refundPasswordUnset();
  if (password === undefined || password === '') throw errors.refundPasswordRequired();
  const attempt = await attemptWithLockout(db, ctx, {
    ref: refundPasswordRef(merchantId),
    policy: r.policy,
    verify: async () => !!r.hash && (await verifySecret(r.hash, password)),
    lockNotice: refundPasswordLockNotice(merchantId, r.merchant.name, actor),
  });
  if (!attempt.ok) {
    await recordAuditNow(db, ctx, {
      merchantId,
      actor: auditActorOf(actor),
      action: 'refund_password.check_failed',
      outcome: 'failure',
      objectType: 'merchant',
      objectId: merchantId,
      terminalId: actor.terminalId,
      details: { purpose },
    });
    throw errors.wrongEntry(attempt, 'refund_password_invalid', 'the refund password is wrong');
  }
  if (statusOf(ctx, r).expired) throw errors.refundPasswordExpired();
  await failpoint('refund-password:verified');
  return stampOf(r.hash);
}

/**
 * Inside the transaction that moves the money a verified refund password authorised: refuses when
 * the password was changed, reset or unset since `verifyRefundPassword` checked it (one row read,
 * no argon2). `undefined` is an actor that needs no password (an API key): nothing to re-check.
 * A change that commits after this read is ordered after the whole transaction, which the password
 * valid at this read authorised.
 * @throws refund_password_changed
 */
export async function assertRefundPasswordUnchanged(
  trx: Tx,
  merchantId: string,
  stamp: RefundPasswordStamp | undefined,
): Promise<void> {
  if (stamp === undefined) return;
  const r = await merchants.findRefundPasswordRecord(trx, merchantId);
  if (!r?.hash || stampOf(r.hash) !== stamp) throw errors.refundPasswordChanged();
}

export interface NewPassword {
  newPassword: string;
  confirmPassword: string;
}

/** Policy, confirmation and history checks for a proposed refund password (no state change). */
async function assertAcceptable(conn: Conn, ctx: AppContext, merchantId: string, input: NewPassword) {
  const r = await recordOf(conn, ctx, merchantId);
  if (input.newPassword !== input.confirmPassword) throw errors.confirmationMismatch();
  const violation = refundPasswordViolation(input.newPassword, r.policy, { phones: [r.merchant.phone] });
  if (violation) throw errors.policyViolation(violation);
  if (await isReused(conn, refundPasswordRef(merchantId), input.newPassword, r.hash, r.policy.historySize)) {
    throw errors.reused(r.policy.historySize);
  }
  return r;
}

/**
 * Stores an accepted new refund password in one transaction with everything that goes with it:
 * history, lockouts cleared, every session of the merchant's people ended (they log in again),
 * the audit event and the owner's notification. `extra` lets recovery mark its code used in the
 * same transaction.
 */
async function storeNewRefundPassword(
  db: Db,
  ctx: AppContext,
  merchantId: string,
  merchantName: string,
  historySize: number,
  newPassword: string,
  audit: {
    actor: AuditActor;
    action: string;
    method: 'change' | 'agent' | 'sms' | 'email' | 'set_after_reinit';
    terminalId?: string | null;
  },
  extra?: (trx: Tx) => Promise<void>,
): Promise<void> {
  const hash = await hashSecret(newPassword);
  const at = ctx.clock.now().toISOString();
  await transaction(db, async (trx) => {
    await extra?.(trx);
    await merchants.storeRefundPasswordHash(trx, merchantId, hash, at);
    await recordNewSecret(trx, ctx, refundPasswordRef(merchantId), hash, historySize);
    const ended = await sessions.revokeMerchantSessions(trx, merchantId, at);
    await recordAudit(trx, ctx, {
      merchantId,
      actor: audit.actor,
      action: audit.action,
      outcome: 'success',
      objectType: 'merchant',
      objectId: merchantId,
      terminalId: audit.terminalId ?? null,
      details: { method: audit.method, sessionsEnded: ended },
    });
    const template =
      audit.method === 'change' || audit.method === 'set_after_reinit'
        ? 'refund_password_changed'
        : 'refund_password_reset';
    await notifyMerchantOwner(
      trx,
      ctx,
      merchantId,
      template,
      { merchantName, at, method: audit.method },
      `${audit.action}:${merchantId}:${at}`,
    );
  });
  await clearLockout(db, refundPasswordRef(merchantId));
}

/**
 * 修改退款密码: the supervisor (operator 00) or the merchant owner changes the refund password with
 * the current one. Every session of the merchant's people ends on success. While no refund
 * password is set (a terminal was re-initialised) there is no current one: the new one is set
 * without it, still under the policy and the history (no old one comes back).
 * @throws not_found, forbidden, refund_password_required (no current one given while one is set),
 *   password_confirmation_mismatch, password_* (policy), password_reused,
 *   refund_password_invalid (counts toward lockout), locked
 */
export async function changeRefundPassword(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  merchantId: string,
  input: NewPassword & { currentPassword?: string },
): Promise<void> {
  assertRole(actor, REFUND_PASSWORD_CHANGE_ROLES);
  const visible = await merchants.findMerchant(db.kysely, merchantId);
  if (
    !visible ||
    !canSeeMerchant(actor, { merchantId, acquirerId: visible.acquirerId }) ||
    actor.merchantId !== merchantId
  ) {
    throw notFound('merchant');
  }
  const r = await recordOf(db.kysely, ctx, merchantId);
  if (!r.hash) {
    await assertAcceptable(db.kysely, ctx, merchantId, input);
    await storeNewRefundPassword(db, ctx, merchantId, r.merchant.name, r.policy.historySize, input.newPassword, {
      actor: auditActorOf(actor),
      action: 'refund_password.set',
      method: 'set_after_reinit',
      terminalId: actor.terminalId,
    });
    return;
  }
  const current = input.currentPassword;
  if (!current) throw errors.currentRefundPasswordRequired();
  const attempt = await attemptWithLockout(db, ctx, {
    ref: refundPasswordRef(merchantId),
    policy: r.policy,
    verify: async () => !!r.hash && (await verifySecret(r.hash, current)),
    lockNotice: refundPasswordLockNotice(merchantId, r.merchant.name, actor),
  });
  if (!attempt.ok) {
    await recordAuditNow(db, ctx, {
      merchantId,
      actor: auditActorOf(actor),
      action: 'refund_password.change_failed',
      outcome: 'failure',
      objectType: 'merchant',
      objectId: merchantId,
      terminalId: actor.terminalId,
      details: { why: 'wrong current password' },
    });
    throw errors.wrongEntry(attempt, 'refund_password_invalid', 'the current refund password is wrong');
  }
  await assertAcceptable(db.kysely, ctx, merchantId, input);
  await storeNewRefundPassword(db, ctx, merchantId, r.merchant.name, r.policy.historySize, input.newPassword, {
    actor: auditActorOf(actor),
    action: 'refund_password.changed',
    method: 'change',
    terminalId: actor.terminalId,
  });
}

/**
 * Sets a new refund password after a recovery proof (agent unlock code or one-time code) that the
 * caller checks inside `consumeProof`, in the same transaction as the change.
 * @throws password_confirmation_mismatch, password_* (policy), password_reused
 */
export async function resetRefundPassword(
  db: Db,
  ctx: AppContext,
  merchantId: string,
  input: NewPassword,
  audit: { actor: AuditActor; method: 'agent' | 'sms' | 'email'; terminalId?: string | null },
  consumeProof: (trx: Tx) => Promise<void>,
): Promise<void> {
  const r = await assertAcceptable(db.kysely, ctx, merchantId, input);
  await storeNewRefundPassword(
    db,
    ctx,
    merchantId,
    r.merchant.name,
    r.policy.historySize,
    input.newPassword,
    { ...audit, action: 'refund_password.reset' },
    consumeProof,
  );
}

/**
 * Unsets the merchant's refund password (a terminal re-initialisation), in the caller's
 * transaction: refunds, voids and approvals answer `refund_password_unset` until a new one is set.
 * The password it had joins the history (if it is not its newest entry already), so it cannot
 * come back as the new one.
 */
export async function unsetRefundPassword(trx: Tx, ctx: AppContext, merchantId: string, historySize: number) {
  const hash = await merchants.clearRefundPassword(trx, merchantId);
  if (hash && !(await isNewestInHistory(trx, refundPasswordRef(merchantId), hash))) {
    await recordNewSecret(trx, ctx, refundPasswordRef(merchantId), hash, historySize);
  }
}
