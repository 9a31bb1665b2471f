import { addMs, MINUTE } from '../clock.js';
import type { AppContext } from '../context.js';
import { randomToken, sha256Hex, verifyAgainstDecoy } from '../credentials/hashing.js';
import * as loginPasswords from '../credentials/login-password.service.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import type { Tx } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import * as operators from '../operators/operator.service.js';
import * as terminals from '../terminals/terminal.service.js';
import type { Actor, Role } from './actor.js';
import * as apiKeys from './api-key.service.js';
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

async function openSession(ctx: AppContext, a: SessionActor): Promise<LoginResult> {
  const now = ctx.clock.now();
  const token = randomToken(TOKEN_PREFIX);
  const expiresAt = addMs(now, ctx.config.sessionAbsoluteHours * 60 * MINUTE).toISOString();
  await repo.insertSession(ctx.db.kysely, {
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
  });
  const status = a.merchantId ? await refundPasswords.refundPasswordStatus(ctx, a.merchantId) : undefined;
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
 * Console login by e-mail and password. Unknown e-mail and wrong password take the same time and
 * give the same answer. @throws invalid_credentials
 */
export async function loginUser(ctx: AppContext, email: string, password: string): Promise<LoginResult> {
  const user = await users.findUserCredentials(ctx, email);
  const ok = user
    ? await loginPasswords.checkLoginPassword(
        ctx,
        'user',
        user.id,
        user.merchant_id,
        user.password_hash,
        password,
        user.email,
      )
    : await verifyAgainstDecoy(password);
  if (!user || !ok) throw new AppError('invalid_credentials');
  return openSession(ctx, userActorOf(user));
}

/** Operator login at a terminal with its two-digit code and password. @throws invalid_credentials */
export async function loginOperator(
  ctx: AppContext,
  terminalId: string,
  code: string,
  password: string,
): Promise<LoginResult> {
  const terminal = await terminals.findTerminal(ctx, terminalId);
  const op = terminal ? await operators.findOperatorCredentials(ctx, terminal.id, code) : undefined;
  const ok = op
    ? await loginPasswords.checkLoginPassword(
        ctx,
        'operator',
        op.id,
        op.merchant_id,
        op.password_hash,
        password,
        `${terminal?.serial ?? ''} operator ${op.code}`,
      )
    : await verifyAgainstDecoy(password);
  if (!terminal || !op || !ok || terminal.status !== 'active') throw new AppError('invalid_credentials');
  return openSession(ctx, operatorActorOf(op, terminal));
}

/**
 * Resolves a bearer token (session or API key) to an actor. Idle sessions expire after
 * SESSION_IDLE_MINUTES, all sessions after SESSION_ABSOLUTE_HOURS. @throws unauthenticated
 */
export async function authenticate(ctx: AppContext, token: string): Promise<Actor> {
  if (token.startsWith(apiKeys.API_KEY_PREFIX)) return apiKeys.authenticateApiKey(ctx, token);
  const now = ctx.clock.now();
  const s = token.startsWith(TOKEN_PREFIX)
    ? await repo.findLiveSessionByTokenHash(ctx.db.kysely, sha256Hex(token), now.toISOString())
    : undefined;
  if (!s) throw new AppError('unauthenticated', 'the token is unknown, expired or revoked');
  const idleFor = now.getTime() - new Date(s.last_seen_at).getTime();
  if (idleFor > ctx.config.sessionIdleMinutes * MINUTE) {
    await repo.revokeSession(ctx.db.kysely, s.id, now.toISOString());
    throw new AppError('unauthenticated', 'the session was idle too long');
  }
  if (idleFor > TOUCH_EVERY_MS) await repo.touchSession(ctx.db.kysely, s.id, now.toISOString());
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

export async function logout(ctx: AppContext, actor: Actor): Promise<void> {
  if (actor.sessionId) await repo.revokeSession(ctx.db.kysely, actor.sessionId, ctx.clock.now().toISOString());
}

/** Ends every session of a merchant's people (after its refund password changes). */
export async function revokeMerchantSessions(trx: Tx, merchantId: string, at: string): Promise<number> {
  return repo.revokeMerchantSessions(trx, merchantId, at);
}

/** Ends every session of one principal (after its own password changes or is reset). */
export async function revokePrincipalSessions(trx: Tx, principalId: string, at: string): Promise<number> {
  return repo.revokePrincipalSessions(trx, principalId, at);
}
