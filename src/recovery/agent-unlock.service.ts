import { recordAudit, recordAuditNow } from '../audit/audit.service.js';
import { type Actor, assertRole, auditActorOf, canActOnTerminal, type Role } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { checkWithLockout } from '../credentials/credential.service.js';
import { constantTimeEqual } from '../credentials/hashing.js';
import { policyFor } from '../credentials/password-policy.js';
import { type NewPassword, resetRefundPassword } from '../credentials/refund-password.service.js';
import type { Db } from '../db/connect.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as merchants from '../merchants/merchant.service.js';
import type { Terminal } from '../terminals/terminal.js';
import * as terminals from '../terminals/terminal.service.js';
import * as errors from './recovery.errors.js';
import * as repo from './recovery.repository.js';
import './recovery.notifications.js';
import { challengeMatchesSerial, newChallenge, timeStep, unlockCode } from './unlock-code.js';

const unlockRef = (terminalId: string) => `unlock_code:${terminalId}`;

/** Who takes part: the terminal's operators ask, the agent answers, the supervisor resets. */
export const CHALLENGE_ROLES: readonly Role[] = ['cashier', 'supervisor'];
export const UNLOCK_CODE_ROLES: readonly Role[] = ['agent_staff'];
export const UNLOCK_RESET_ROLES: readonly Role[] = ['supervisor'];

async function terminalWithKey(
  conn: Conn,
  ctx: AppContext,
  terminalId: string,
): Promise<{ terminal: Terminal; key: string }> {
  const terminal = await terminals.findTerminal(conn, terminalId);
  const key = await terminals.findTerminalUnlockKey(conn, ctx, terminalId);
  if (!terminal || !key) throw notFound('terminal');
  return { terminal, key };
}

async function merchantOf(conn: Conn, ctx: AppContext, merchantId: string) {
  const r = await merchants.findRefundPasswordRecord(conn, merchantId);
  if (!r) throw notFound('merchant');
  return { name: r.merchant.name, policy: policyFor(ctx, r.policyOverride) };
}

async function policyOf(conn: Conn, ctx: AppContext, merchantId: string) {
  return (await merchantOf(conn, ctx, merchantId)).policy;
}

/**
 * Step 1, at the terminal: a fresh challenge to read to the agent over the phone. (An offline
 * terminal makes its own the same way; the agent's console accepts those too.)
 * @throws not_found (not this operator's terminal)
 */
export async function issueChallenge(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  terminalId: string,
): Promise<{ challenge: string; expiresAt: string }> {
  assertRole(actor, CHALLENGE_ROLES);
  const { terminal } = await terminalWithKey(db.kysely, ctx, terminalId);
  if (!canActOnTerminal(actor, { ...terminal, terminalId: terminal.id })) throw notFound('terminal');
  const policy = await policyOf(db.kysely, ctx, terminal.merchantId);
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + policy.recovery.challengeMinutes * 60_000).toISOString();
  const challenge = newChallenge(terminal.serial);
  await repo.insertChallenge(db.kysely, {
    id: newId('uch'),
    terminal_id: terminal.id,
    challenge,
    source: 'terminal',
    created_at: now.toISOString(),
    expires_at: expiresAt,
    code_time_step: null,
    code_issued_at: null,
    code_issued_by: null,
    used_at: null,
  });
  return { challenge, expiresAt };
}

/**
 * Step 2, at the agent's console: turns the terminal's challenge into a one-time unlock code.
 * Only for terminals this agent serves. Audited, and the merchant owner is told.
 * @throws not_found (no such terminal), forbidden (not an agent of this terminal: audited),
 *   challenge_invalid (not this terminal's, already used, or expired)
 */
export async function issueUnlockCode(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  terminalId: string,
  challenge: string,
): Promise<{ unlockCode: string; expiresAt: string; terminalSerial: string }> {
  const { terminal, key } = await terminalWithKey(db.kysely, ctx, terminalId);
  if (!UNLOCK_CODE_ROLES.includes(actor.role) || actor.agentId !== terminal.agentId) {
    await recordAuditNow(db, ctx, {
      merchantId: terminal.merchantId,
      actor: auditActorOf(actor),
      action: 'unlock_code.refused',
      outcome: 'failure',
      objectType: 'terminal',
      objectId: terminal.id,
      details: { why: 'not this agent’s terminal' },
    });
    throw errors.notYourAgency();
  }
  if (!challengeMatchesSerial(terminal.serial, challenge)) {
    throw errors.challengeNotForTerminal();
  }
  const policy = await policyOf(db.kysely, ctx, terminal.merchantId);
  const now = ctx.clock.now();
  const step = timeStep(now, policy.recovery.unlockCodeMinutes);
  const expiresAt = new Date(now.getTime() + policy.recovery.unlockCodeMinutes * 60_000).toISOString();
  const code = unlockCode(key, terminal.serial, challenge, step);
  await transaction(db, async (trx) => {
    let row = await repo.findChallenge(trx, terminal.id, challenge);
    if (row?.used_at) throw errors.challengeUsed();
    if (row && row.expires_at <= now.toISOString()) {
      throw errors.challengeExpired();
    }
    if (!row) {
      // An offline terminal's own challenge: record it so that its code is single-use too.
      row = {
        id: newId('uch'),
        terminal_id: terminal.id,
        challenge,
        source: 'offline',
        created_at: now.toISOString(),
        expires_at: expiresAt,
        code_time_step: null,
        code_issued_at: null,
        code_issued_by: null,
        used_at: null,
      };
      await repo.insertChallenge(trx, row);
    }
    await repo.markCodeIssued(trx, row.id, step, now.toISOString(), actor.id);
    await recordAudit(trx, ctx, {
      merchantId: terminal.merchantId,
      actor: auditActorOf(actor),
      action: 'unlock_code.issued',
      outcome: 'success',
      objectType: 'terminal',
      objectId: terminal.id,
      details: { challengeSource: row.source },
    });
  });
  return { unlockCode: code, expiresAt, terminalSerial: terminal.serial };
}

/**
 * Step 3, at the terminal: the unlock code sets a new refund password (policy and history still
 * apply). The code is valid for 15 minutes and once; wrong codes count toward a lockout.
 * @throws not_found, unlock_code_invalid, locked, password_* (policy), password_reused
 */
export async function resetWithUnlockCode(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  terminalId: string,
  input: NewPassword & { unlockCode: string },
): Promise<void> {
  assertRole(actor, UNLOCK_RESET_ROLES);
  const { terminal, key } = await terminalWithKey(db.kysely, ctx, terminalId);
  if (actor.kind !== 'operator' || actor.terminalId !== terminal.id) throw notFound('terminal');
  const { name: merchantName, policy } = await merchantOf(db.kysely, ctx, terminal.merchantId);
  const windowStart = new Date(ctx.clock.now().getTime() - policy.recovery.unlockCodeMinutes * 60_000).toISOString();
  const candidates = await repo.listRedeemableChallenges(db.kysely, terminal.id, windowStart);
  let matched: (typeof candidates)[number] | undefined;
  const ok = await checkWithLockout(db, ctx, {
    ref: unlockRef(terminal.id),
    policy,
    verify: async () => {
      matched = candidates.find(
        (c) =>
          c.code_time_step !== null &&
          constantTimeEqual(unlockCode(key, terminal.serial, c.challenge, c.code_time_step), input.unlockCode),
      );
      return matched !== undefined;
    },
    lockNotice: {
      merchantId: terminal.merchantId,
      actor: auditActorOf(actor),
      action: 'unlock_code.locked',
      objectType: 'terminal',
      objectId: terminal.id,
      terminalId: terminal.id,
      template: 'recovery_locked',
      data: { merchantName, method: 'agent' },
    },
  });
  if (!ok || !matched) {
    await recordAuditNow(db, ctx, {
      merchantId: terminal.merchantId,
      actor: auditActorOf(actor),
      action: 'refund_password.reset_failed',
      outcome: 'failure',
      objectType: 'terminal',
      objectId: terminal.id,
      terminalId: terminal.id,
      details: { method: 'agent' },
    });
    throw errors.unlockCodeInvalid();
  }
  const challengeId = matched.id;
  await resetRefundPassword(
    db,
    ctx,
    terminal.merchantId,
    input,
    { actor: auditActorOf(actor), method: 'agent', terminalId: terminal.id },
    async (trx) => {
      if (!(await repo.markChallengeUsed(trx, challengeId, ctx.clock.now().toISOString()))) {
        throw errors.unlockCodeUsed();
      }
    },
  );
}

/**
 * Forgets a terminal's unlock challenges and the codes issued for them (a re-initialisation rotates
 * the key they were made from) and its unlock-code lockout.
 */
export async function forgetTerminalChallenges(trx: Tx, terminalId: string): Promise<number> {
  return repo.deleteTerminalChallenges(trx, terminalId);
}

/** The lockout name of a terminal's agent unlock codes. */
export const unlockCodeRef = unlockRef;
