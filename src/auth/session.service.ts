import { addMs, MINUTE } from '../clock.js';
import type { AppContext } from '../context.js';
import { randomToken, sha256Hex, verifyAgainstDecoy, verifySecret } from '../credentials/hashing.js';
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

async function openSession(ctx: AppContext, a: Omit<Actor, 'sessionId' | 'scopes'>): Promise<LoginResult> {
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
  });
  return {
    token,
    expiresAt,
    role: a.role,
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
  const ok = user ? await verifySecret(user.password_hash, password) : await verifyAgainstDecoy(password);
  if (!user || !ok) throw new AppError('invalid_credentials');
  return openSession(ctx, {
    kind: 'user',
    id: user.id,
    role: user.role as Role,
    merchantId: user.merchant_id,
    terminalId: null,
    acquirerId: user.acquirer_id,
    agentId: user.agent_id,
  });
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
  const ok = op ? await verifySecret(op.password_hash, password) : await verifyAgainstDecoy(password);
  if (!terminal || !op || !ok || terminal.status !== 'active') throw new AppError('invalid_credentials');
  return openSession(ctx, {
    kind: 'operator',
    id: op.id,
    role: op.role as Role,
    merchantId: terminal.merchantId,
    terminalId: terminal.id,
    acquirerId: terminal.acquirerId,
    agentId: null,
  });
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
  };
}

export async function logout(ctx: AppContext, actor: Actor): Promise<void> {
  if (actor.sessionId) await repo.revokeSession(ctx.db.kysely, actor.sessionId, ctx.clock.now().toISOString());
}
