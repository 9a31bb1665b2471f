import { recordAudit, recordAuditNow } from '../audit/audit.service.js';
import { type Actor, assertRole, auditActorOf, peopleRoles, type Role } from '../auth/actor.js';
import * as sessions from '../auth/session-revocation.js';
import * as users from '../auth/user.service.js';
import type { AppContext } from '../context.js';
import { keyedHash } from '../crypto/keyed-hash.js';
import type { Db } from '../db/connect.js';
import { type Conn, transaction } from '../db/transaction.js';
import { AppError, forbidden, notFound } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import './credential.notifications.js';
import * as operators from '../operators/operator.service.js';
import * as terminals from '../terminals/terminal.service.js';
import * as errors from './credential.errors.js';
import {
  type Attempt,
  attemptWithLockout,
  checkWithLockout,
  type GuardedCheck,
  hashSecret,
  isReused,
  type LockNotice,
  recordNewSecret,
} from './credential.service.js';
import { verifyAgainstDecoy, verifySecret } from './hashing.js';
import {
  consolePasswordViolation,
  operatorPasswordViolation,
  type PasswordPolicy,
  policyFor,
} from './password-policy.js';
import type { NewPassword } from './refund-password.service.js';

/** Login passwords of operators (terminal) and console users: their own, separate from the refund password. */
export const loginRef = (kind: 'operator' | 'user', id: string) => `${kind}:${id}`;

/** Who has a login password of their own to change: every operator and console user (not API keys). */
export const OWN_PASSWORD_ROLES: readonly Role[] = peopleRoles;

/** Who may give an operator a temporary password (only the owner may reset the supervisor). */
export const OPERATOR_RESET_ROLES: readonly Role[] = ['supervisor', 'merchant_owner'];

async function policyForMerchant(conn: Conn, ctx: AppContext, merchantId: string | null): Promise<PasswordPolicy> {
  const r = merchantId ? await merchants.findRefundPasswordRecord(conn, merchantId) : undefined;
  return policyFor(ctx, r?.policyOverride);
}

/** A login lock: audited, and told to the owner for a merchant's people (`who` names the login). */
function loginLockNotice(
  kind: 'operator' | 'user',
  id: string,
  merchantId: string | null,
  who: string,
  terminalId?: string | null,
  ip?: string | null,
): LockNotice {
  return {
    merchantId,
    actor: { kind, id, ip: ip ?? null },
    action: 'login.locked',
    objectType: kind,
    objectId: id,
    terminalId,
    template: 'login_locked',
    data: { who },
  };
}

/** How the owner's message names a login: the operator's terminal and code, or the e-mail. */
async function loginName(conn: Conn, actor: Actor, record: { email?: string; code?: string }): Promise<string> {
  if (actor.kind !== 'operator') return record.email ?? actor.id;
  const terminal = actor.terminalId ? await terminals.findTerminal(conn, actor.terminalId) : undefined;
  return `${terminal?.serial ?? ''} operator ${record.code ?? ''}`;
}

/** The lock notice of the actor's own login (`kind` and id from the actor, named as the owner reads it). */
async function ownLockNotice(conn: Conn, actor: Actor, record: { email?: string; code?: string }): Promise<LockNotice> {
  const kind = actor.kind === 'operator' ? 'operator' : 'user';
  const who = await loginName(conn, actor, record);
  return loginLockNotice(kind, actor.id, actor.merchantId, who, actor.terminalId, actor.ip);
}

/**
 * Checks an operator's password under the lockout rule (for the session service): a wrong entry
 * tells the attempts left, the entry that locks answers `locked` at once. A lock is audited and
 * told to the merchant's owner (`who` names the login in that message).
 * @throws locked
 */
export async function checkOperatorPassword(
  db: Db,
  ctx: AppContext,
  op: { id: string; merchantId: string | null; hash: string; who: string; terminalId: string },
  password: string,
  ip?: string | null,
): Promise<Attempt> {
  return attemptWithLockout(db, ctx, {
    ref: loginRef('operator', op.id),
    policy: await policyForMerchant(db.kysely, ctx, op.merchantId),
    verify: () => verifySecret(op.hash, password),
    lockNotice: loginLockNotice('operator', op.id, op.merchantId, op.who, op.terminalId, ip),
  });
}

/** A console login's outcome; the caller answers every one but `ok` alike. */
export type ConsoleCheck = 'ok' | 'wrong_password' | 'locked' | 'unknown_email';

/**
 * A console login's password check, the same for an e-mail with an account and one without
 * (OWASP Authentication Cheat Sheet): both count the attempt against a lockout entry (the user's,
 * or one named by a keyed hash of the typed e-mail), both run exactly one argon2 verification (the
 * user's hash, or the decoy), also while locked, and the caller gives all refusals one answer. So
 * neither the answer, nor the work, nor the lock tells which e-mails have accounts.
 */
export async function checkConsolePassword(
  db: Db,
  ctx: AppContext,
  user: { id: string; merchant_id: string | null; password_hash: string; email: string } | undefined,
  typedEmail: string,
  password: string,
  ip?: string | null,
): Promise<ConsoleCheck> {
  const typed = typedEmail.normalize('NFKC').trim().toLowerCase();
  const unknownRef = `login:unknown:${keyedHash(ctx.config, 'unknown-logins', typed).toString('base64url')}`;
  const check: GuardedCheck = user
    ? {
        ref: loginRef('user', user.id),
        policy: await policyForMerchant(db.kysely, ctx, user.merchant_id),
        verify: () => verifySecret(user.password_hash, password),
        lockNotice: loginLockNotice('user', user.id, user.merchant_id, user.email, null, ip),
      }
    : {
        ref: unknownRef,
        policy: await policyForMerchant(db.kysely, ctx, null),
        verify: () => verifyAgainstDecoy(password),
        lockNotice: {
          ...loginLockNotice('user', 'unknown_email', null, 'an e-mail without an account', null, ip),
          actor: { kind: 'anonymous', id: null, ip: ip ?? null },
        },
      };
  try {
    const attempt = await attemptWithLockout(db, ctx, check);
    if (attempt.ok) return 'ok';
  } catch (e) {
    if (!(e instanceof AppError && e.code === 'locked')) throw e;
    await verifyAgainstDecoy(password); // a locked login costs the one verification any attempt costs
    return user ? 'locked' : 'unknown_email';
  }
  return user ? 'wrong_password' : 'unknown_email';
}

/**
 * An operator or console user changes their own login password with the current one. All their
 * sessions end (they log in again), which also lifts a "must change" reset.
 * @throws invalid_credentials (wrong current), locked, password_confirmation_mismatch, password_*,
 *   password_reused, forbidden (API keys have no password)
 */
export async function changeOwnPassword(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  input: NewPassword & { currentPassword: string },
): Promise<void> {
  if (actor.kind === 'api_key') throw forbidden('API keys have no password');
  const kind = actor.kind;
  const record =
    kind === 'operator'
      ? await operators.findOperatorRecord(db.kysely, actor.id)
      : await users.findUserRecord(db.kysely, actor.id);
  if (!record) throw notFound(kind);
  const policy = await policyForMerchant(db.kysely, ctx, actor.merchantId);
  const changeFailed = (reason: 'wrong_current_password' | 'locked') =>
    recordAuditNow(db, ctx, {
      merchantId: actor.merchantId,
      actor: auditActorOf(actor),
      action: 'login_password.change_failed',
      outcome: 'failure',
      objectType: kind,
      objectId: actor.id,
      terminalId: actor.terminalId,
      details: { reason },
    });
  let ok: boolean;
  try {
    ok = await checkWithLockout(db, ctx, {
      ref: loginRef(kind, actor.id),
      policy,
      verify: () => verifySecret(record.password_hash, input.currentPassword),
      lockNotice: await ownLockNotice(db.kysely, actor, record),
    });
  } catch (e) {
    if (e instanceof AppError && e.code === 'locked') await changeFailed('locked');
    throw e;
  }
  if (!ok) {
    await changeFailed('wrong_current_password');
    throw errors.currentPasswordWrong();
  }
  if (input.newPassword !== input.confirmPassword) throw errors.confirmationMismatch();
  const violation =
    kind === 'operator'
      ? operatorPasswordViolation(input.newPassword, policy)
      : consolePasswordViolation(input.newPassword, policy, { email: 'email' in record ? record.email : undefined });
  if (violation) throw errors.policyViolation(violation);
  const ref = loginRef(kind, actor.id);
  if (await isReused(db.kysely, ref, input.newPassword, record.password_hash, policy.historySize)) {
    throw errors.reused(policy.historySize);
  }
  const hash = await hashSecret(input.newPassword);
  const at = ctx.clock.now().toISOString();
  await transaction(db, async (trx) => {
    if (kind === 'operator') await operators.storeOperatorPassword(trx, actor.id, hash, false, at);
    else await users.storeUserPassword(trx, actor.id, hash, at);
    await recordNewSecret(trx, ctx, ref, hash, policy.historySize);
    await sessions.revokePrincipalSessions(trx, actor.id, at);
    await recordAudit(trx, ctx, {
      merchantId: actor.merchantId,
      actor: auditActorOf(actor),
      action: 'login_password.changed',
      outcome: 'success',
      objectType: kind,
      objectId: actor.id,
      terminalId: actor.terminalId,
    });
  });
}

/**
 * The supervisor of a terminal, or the merchant owner, sets a temporary password for a cashier,
 * who must change it at next login. Only the owner may reset the supervisor (00).
 * @throws not_found, forbidden, password_* (policy)
 */
export async function resetOperatorPassword(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  terminalId: string,
  code: string,
  temporaryPassword: string,
): Promise<void> {
  assertRole(actor, OPERATOR_RESET_ROLES);
  const terminal = await terminals.findTerminal(db.kysely, terminalId);
  if (!terminal || actor.merchantId !== terminal.merchantId) throw notFound('terminal');
  if (actor.role === 'supervisor' && actor.terminalId !== terminal.id) throw notFound('terminal');
  const target = await operators.findOperatorCredentials(db.kysely, terminal.id, code);
  if (!target) throw notFound('operator');
  if (target.role === 'supervisor' && actor.role !== 'merchant_owner') {
    throw forbidden('only the merchant owner can reset the supervisor');
  }
  const policy = await policyForMerchant(db.kysely, ctx, terminal.merchantId);
  const violation = operatorPasswordViolation(temporaryPassword, policy);
  if (violation) throw errors.policyViolation(violation);
  const hash = await hashSecret(temporaryPassword);
  const at = ctx.clock.now().toISOString();
  await transaction(db, async (trx) => {
    await operators.storeOperatorPassword(trx, target.id, hash, true, at);
    await sessions.revokePrincipalSessions(trx, target.id, at);
    await recordAudit(trx, ctx, {
      merchantId: terminal.merchantId,
      actor: auditActorOf(actor),
      action: 'login_password.reset',
      outcome: 'success',
      objectType: 'operator',
      objectId: target.id,
      terminalId: terminal.id,
      details: { operator: code },
    });
  });
}

/**
 * A step-up before something drastic (re-initialising a terminal): the actor types their own login
 * password again (an operator theirs, a console user theirs). Counted under the same lockout as
 * every other check of that password; a wrong entry is audited with `purpose`.
 * @throws step_up_password_invalid (with attemptsLeft), locked, forbidden (API keys have no password)
 */
export async function confirmOwnPassword(db: Db, ctx: AppContext, actor: Actor, password: string, purpose: string) {
  if (actor.kind === 'api_key') throw forbidden('API keys have no password');
  const kind = actor.kind;
  const record =
    kind === 'operator'
      ? await operators.findOperatorRecord(db.kysely, actor.id)
      : await users.findUserRecord(db.kysely, actor.id);
  if (!record) throw notFound(kind);
  const attempt = await attemptWithLockout(db, ctx, {
    ref: loginRef(kind, actor.id),
    policy: await policyForMerchant(db.kysely, ctx, actor.merchantId),
    verify: () => verifySecret(record.password_hash, password),
    lockNotice: await ownLockNotice(db.kysely, actor, record),
  });
  if (attempt.ok) return;
  await recordAuditNow(db, ctx, {
    merchantId: actor.merchantId,
    actor: auditActorOf(actor),
    action: 'login_password.step_up_failed',
    outcome: 'failure',
    objectType: kind,
    objectId: actor.id,
    terminalId: actor.terminalId,
    details: { purpose },
  });
  throw errors.wrongEntry(attempt, 'step_up_password_invalid', 'the password is wrong');
}
