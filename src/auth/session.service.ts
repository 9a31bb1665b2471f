import { type AuditInput, recordAudit, recordAuditNow } from '../audit/audit.service.js';
import { containsPan } from '../audit/audit-event.js';
import { addMs, MINUTE } from '../clock.js';
import type { AppContext } from '../context.js';
import { wrongEntry } from '../credentials/credential.errors.js';
import { randomToken, verifyAgainstDecoy } from '../credentials/hashing.js';
import * as loginPasswords from '../credentials/login-password.service.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import * as operators from '../operators/operator.service.js';
import * as terminals from '../terminals/terminal.service.js';
import type { Actor, Role } from './actor.js';
import * as apiKeys from './api-key.service.js';
import * as errors from './auth.errors.js';
import * as repo from './session.repository.js';
import * as users from './user.service.js';

export interface LoginResult {
  token: string;
  expiresAt: string;
  role: Role;
  /** The password was reset by a supervisor: this session may only change it. */
  mustChangePassword: boolean;
  /** From 14 days before the refund password expires (merchant people only). */
  refundPasswordReminder: { daysLeft: number; expiresAt: string | null; expired: boolean } | null;
  actor: {
    id: string;
    merchantId: string | null;
    terminalId: string | null;
    acquirerId: string | null;
    agentId: string | null;
  };
}

const TOKEN_PREFIX = 'rds_';
// Only write last_seen_at when it is this stale: a write per request would serialise every reader.
const TOUCH_EVERY_MS = MINUTE;

export type SessionActor = Omit<Actor, 'sessionId' | 'scopes'>;

/** The actor an operator login makes (also used by the CLI's `--as-operator`). */
export function operatorActorOf(
  op: { id: string; role: string; must_change_password: number },
  terminal: { id: string; merchantId: string; acquirerId: string },
): SessionActor {
  return {
    kind: 'operator',
    id: op.id,
    role: op.role as Role,
    merchantId: terminal.merchantId,
    terminalId: terminal.id,
    acquirerId: terminal.acquirerId,
    agentId: null,
    mustChangePassword: op.must_change_password === 1,
  };
}

/** The actor a console login makes (also used by the CLI's `--as-user`). */
export function userActorOf(u: {
  id: string;
  role: string;
  merchant_id: string | null;
  acquirer_id: string | null;
  agent_id: string | null;
}): SessionActor {
  return {
    kind: 'user',
    id: u.id,
    role: u.role as Role,
    merchantId: u.merchant_id,
    terminalId: null,
    acquirerId: u.acquirer_id,
    agentId: u.agent_id,
    mustChangePassword: false,
  };
}

/** Where a login came from: the client's address (HTTP), for the audit log. */
export interface LoginOrigin {
  ip?: string | null;
}

/**
 * Why a login failed, as the audit log records it. The caller always gets the same
 * `invalid_credentials` (or `locked`), whatever the reason.
 */
type LoginFailure =
  | 'unknown_email'
  | 'unknown_terminal'
  | 'unknown_operator'
  | 'wrong_password'
  | 'locked'
  | 'terminal_inactive';

/**
 * A failed login, audited in its own transaction (PCI DSS 10.2.1, 10.2.2): the account it aimed at
 * (when it exists) on that account's chain, anything else on the platform chain. The actor is
 * anonymous: the caller proved nothing. Never the password.
 */
async function auditLoginFailure(
  db: Db,
  ctx: AppContext,
  from: LoginOrigin,
  f: {
    reason: LoginFailure;
    merchantId: string | null;
    objectType: 'user' | 'operator' | 'terminal';
    objectId?: string;
    terminalId?: string | null;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  await recordAuditNow(db, ctx, {
    merchantId: f.merchantId,
    actor: { kind: 'anonymous', id: null, ip: from.ip ?? null },
    action: 'login.failed',
    outcome: 'failure',
    objectType: f.objectType,
    objectId: f.objectId,
    terminalId: f.terminalId ?? null,
    details: { reason: f.reason, ...f.details },
  });
}

/** What was typed as the e-mail, kept only when it looks like one (never a mistyped password or a card number). */
function typedEmail(email: string): string | undefined {
  const e = email.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(e) && e.length <= 254 && !containsPan(e) ? e : undefined;
}

/** Runs a password check; a `locked` answer is audited as a failed login before it is passed on. */
async function checkOrAuditLock<T>(check: () => Promise<T>, onLocked: () => Promise<void>): Promise<T> {
  try {
    return await check();
  } catch (e) {
    if (e instanceof AppError && e.code === 'locked') await onLocked();
    throw e;
  }
}

/** Opens a session and audits the successful login in the same transaction. */
async function openSession(db: Db, ctx: AppContext, a: SessionActor, from: LoginOrigin): Promise<LoginResult> {
  const now = ctx.clock.now();
  const token = randomToken(TOKEN_PREFIX);
  const expiresAt = addMs(now, ctx.config.sessionAbsoluteHours * 60 * MINUTE).toISOString();
  const success: AuditInput = {
    merchantId: a.merchantId,
    // Not auditActorOf: a login comes before its Actor exists (the session is being opened here).
    actor: { kind: a.kind, id: a.id, ip: from.ip ?? null },
    action: 'login.succeeded',
    outcome: 'success',
    objectType: a.kind,
    objectId: a.id,
    terminalId: a.terminalId,
    details: { role: a.role, mustChange: a.mustChangePassword },
  };
  const session = {
    id: newId('ses'),
    token_hash: sha256Hex(token),
    principal_kind: a.kind,
    principal_id: a.id,
    role: a.role,
    merchant_id: a.merchantId,
    terminal_id: a.terminalId,
    acquirer_id: a.acquirerId,
    agent_id: a.agentId,
    created_at: now.toISOString(),
    last_seen_at: now.toISOString(),
    expires_at: expiresAt,
    revoked_at: null,
    must_change_password: a.mustChangePassword ? 1 : 0,
  };
  await transaction(db, async (trx) => {
    await repo.insertSession(trx, session);
    await recordAudit(trx, ctx, success);
  });
  const status = a.merchantId ? await refundPasswords.refundPasswordStatus(db.kysely, ctx, a.merchantId) : undefined;
  return {
    token,
    expiresAt,
    role: a.role,
    mustChangePassword: a.mustChangePassword,
    refundPasswordReminder:
      status?.reminder && status.daysLeft !== null
        ? { daysLeft: Math.max(0, status.daysLeft), expiresAt: status.expiresAt, expired: status.expired }
        : null,
    actor: {
      id: a.id,
      merchantId: a.merchantId,
      terminalId: a.terminalId,
      acquirerId: a.acquirerId,
      agentId: a.agentId,
    },
  };
}

/**
 * Console login by e-mail and password. An unknown e-mail, a wrong password and a locked account
 * are indistinguishable (OWASP Authentication Cheat Sheet): the same 401 `invalid_credentials`, the
 * same code path, the same one argon2 verification (see `checkConsolePassword`); the lock itself is
 * told to the merchant's owner by e-mail and recorded in the audit log, not to the caller. Every
 * success and every failure is audited, with the client's address.
 * @throws invalid_credentials
 */
export async function loginUser(
  db: Db,
  ctx: AppContext,
  email: string,
  password: string,
  from: LoginOrigin = {},
): Promise<LoginResult> {
  const user = await users.findUserCredentials(db.kysely, email);
  const outcome = await loginPasswords.checkConsolePassword(db, ctx, user, email, password, from.ip);
  if (outcome === 'ok' && user) return openSession(db, ctx, userActorOf(user), from);
  await auditLoginFailure(
    db,
    ctx,
    from,
    user
      ? { reason: outcome as LoginFailure, merchantId: user.merchant_id, objectType: 'user', objectId: user.id }
      : { reason: 'unknown_email', merchantId: null, objectType: 'user', details: { email: typedEmail(email) } },
  );
  throw errors.invalidCredentials();
}

/**
 * Operator login at a terminal with its two-digit code and password. Every success and every
 * failure is audited, with the client's address.
 * @throws invalid_credentials, locked
 */
export async function loginOperator(
  db: Db,
  ctx: AppContext,
  terminalId: string,
  code: string,
  password: string,
  from: LoginOrigin = {},
): Promise<LoginResult> {
  const terminal = await terminals.findTerminal(db.kysely, terminalId);
  const op = terminal ? await operators.findOperatorCredentials(db.kysely, terminal.id, code) : undefined;
  if (!terminal || !op) {
    await verifyAgainstDecoy(password);
    await auditLoginFailure(
      db,
      ctx,
      from,
      terminal
        ? {
            reason: 'unknown_operator',
            merchantId: terminal.merchantId,
            objectType: 'terminal',
            objectId: terminal.id,
            terminalId: terminal.id,
            details: { operator: code },
          }
        : {
            reason: 'unknown_terminal',
            merchantId: null,
            objectType: 'terminal',
            // Typed by the caller: left out if it could be a card number, which the log refuses.
            objectId: containsPan(terminalId) ? undefined : terminalId,
          },
    );
    throw errors.invalidCredentials();
  }
  const failure = (reason: LoginFailure) =>
    auditLoginFailure(db, ctx, from, {
      reason,
      merchantId: op.merchant_id,
      objectType: 'operator',
      objectId: op.id,
      terminalId: terminal.id,
    });
  const attempt = await checkOrAuditLock(
    () =>
      loginPasswords.checkOperatorPassword(
        db,
        ctx,
        {
          id: op.id,
          merchantId: op.merchant_id,
          hash: op.password_hash,
          who: `${terminal.serial} operator ${op.code}`,
          terminalId: terminal.id,
        },
        password,
        from.ip,
      ),
    () => failure('locked'),
  );
  // At the terminal, unlike the console, a person is told the tries left and the lock at once.
  if (!attempt.ok) {
    await failure('wrong_password');
    throw wrongEntry(attempt, 'invalid_credentials', 'wrong operator password');
  }
  if (terminal.status !== 'active') {
    await failure('terminal_inactive');
    throw errors.invalidCredentials();
  }
  return openSession(db, ctx, operatorActorOf(op, terminal), from);
}

/**
 * Resolves a bearer token (session or API key) to an actor. Idle sessions expire after
 * SESSION_IDLE_MINUTES, all sessions after SESSION_ABSOLUTE_HOURS. @throws unauthenticated
 */
export async function authenticate(db: Db, ctx: AppContext, token: string): Promise<Actor> {
  if (token.startsWith(apiKeys.API_KEY_PREFIX)) return apiKeys.authenticateApiKey(db.kysely, token);
  const now = ctx.clock.now();
  const s = token.startsWith(TOKEN_PREFIX)
    ? await repo.findLiveSessionByTokenHash(db.kysely, sha256Hex(token), now.toISOString())
    : undefined;
  if (!s) throw errors.tokenUnknown();
  const idleFor = now.getTime() - new Date(s.last_seen_at).getTime();
  if (idleFor > ctx.config.sessionIdleMinutes * MINUTE) {
    await repo.revokeSession(db.kysely, s.id, now.toISOString());
    throw errors.sessionIdle();
  }
  if (idleFor > TOUCH_EVERY_MS) await repo.touchSession(db.kysely, s.id, now.toISOString());
  return {
    kind: s.principal_kind as Actor['kind'],
    id: s.principal_id,
    role: s.role as Role,
    merchantId: s.merchant_id,
    terminalId: s.terminal_id,
    acquirerId: s.acquirer_id,
    agentId: s.agent_id,
    scopes: [],
    sessionId: s.id,
    mustChangePassword: s.must_change_password === 1,
  };
}

export async function logout(db: Db, ctx: AppContext, actor: Actor): Promise<void> {
  if (actor.sessionId) await repo.revokeSession(db.kysely, actor.sessionId, ctx.clock.now().toISOString());
}
