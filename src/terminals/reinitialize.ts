import { randomInt } from 'node:crypto';
import { recordAudit, recordAuditNow } from '../audit/audit.service.js';
import { type Actor, assertRole, auditActorOf, type Role } from '../auth/actor.js';
import * as sessions from '../auth/session-revocation.js';
import { takeBackupNow } from '../backups/backup-run.service.js';
import type { AppContext } from '../context.js';
import { forgetSecrets } from '../credentials/credential.service.js';
import { hashSecret } from '../credentials/hashing.js';
import * as loginPasswords from '../credentials/login-password.service.js';
import { policyFor } from '../credentials/password-policy.js';
import { unsetRefundPassword } from '../credentials/refund-password.service.js';
import type { Db } from '../db/connect.js';
import { failpoint } from '../db/failpoints.js';
import { type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import { notifyMerchantOwner } from '../notifications/notification.service.js';
import * as operators from '../operators/operator.service.js';
import * as settlement from '../payments/settlement.service.js';
import * as agentUnlock from '../recovery/agent-unlock.service.js';
import * as errors from './terminal.errors.js';
import type { Terminal } from './terminal.js';
import * as terminals from './terminal.service.js';

/**
 * Terminal re-initialisation (重新初始化): the last resort when every other way back to the refund
 * password has failed. It wipes the terminal's own state — its operators and their passwords, their
 * sessions, its unlock challenges — rotates its unlock key, unsets the merchant's refund password
 * (merchant-wide: every terminal refuses refunds, voids and approvals until a new one is set), and
 * recreates the supervisor (00) with a one-time activation code. Money records and the audit log
 * are never touched; the refund password's history is kept, so no old one comes back.
 */

/** Who may: the agent serving the terminal, the merchant's owner, or the terminal's supervisor. */
export const REINITIALIZE_ROLES: readonly Role[] = ['agent_staff', 'merchant_owner', 'supervisor'];

export interface ReinitializeInput {
  /** The terminal's serial, typed… */
  confirmSerial: string;
  /** …and typed again. */
  confirmSerialAgain: string;
  /** The caller's own login password (an operator's: their operator password): a step-up. */
  password: string;
  /** Skip the backup taken first (audited as skipped). */
  skipBackup?: boolean;
}

export interface ReinitializeResult {
  terminalId: string;
  serial: string;
  reinitializedAt: string;
  /** The backup taken first, or null when it was skipped. */
  backupId: string | null;
  backupSkipped: boolean;
  operatorsRemoved: number;
  sessionsEnded: number;
  /** Shown once, to whoever re-initialised: 00 signs on with it and sets a new password. */
  supervisor: { code: '00'; activationCode: string };
}

/** Ten digits: typed on the terminal's keypad; five wrong tries lock it like any sign-on. */
function newActivationCode(): string {
  return String(randomInt(0, 100_000)).padStart(5, '0') + String(randomInt(0, 100_000)).padStart(5, '0');
}

function inReach(actor: Actor, t: Terminal): boolean {
  switch (actor.role) {
    case 'agent_staff':
      return actor.agentId === t.agentId;
    case 'merchant_owner':
      return actor.merchantId === t.merchantId;
    case 'supervisor':
      return actor.kind === 'operator' && actor.terminalId === t.id;
    default:
      return false;
  }
}

/** The serial typed twice, both times the terminal's own. @throws serial_confirmation_mismatch */
export function assertSerialConfirmed(
  t: Terminal,
  input: Pick<ReinitializeInput, 'confirmSerial' | 'confirmSerialAgain'>,
) {
  const a = input.confirmSerial.trim();
  const b = input.confirmSerialAgain.trim();
  if (!a || !b) throw errors.serialConfirmationMismatch('type the terminal’s serial twice');
  if (a !== b) throw errors.serialConfirmationMismatch('the two serials typed differ');
  if (a.toUpperCase() !== t.serial.toUpperCase()) {
    throw errors.serialConfirmationMismatch('the serial typed is not this terminal’s');
  }
}

/**
 * Wipes the terminal's state and recreates 00, in the caller's transaction, after locking the
 * terminal (sales take it `share`) and its open batch (as a settlement does). Returns what went.
 * @throws batch_not_settled
 */
export async function wipeTerminal(
  trx: Tx,
  ctx: AppContext,
  t: Terminal,
  at: string,
  supervisorHash: string,
  historySize: number,
): Promise<{ operatorsRemoved: number; sessionsEnded: number }> {
  await terminals.lockTerminal(trx, t.id, 'update');
  await failpoint('reinitialize:terminal-locked');
  const open = await settlement.lockOpenBatch(trx, t.id);
  if (open && open.payments > 0) throw errors.batchNotSettled(open.payments);
  const sessionsEnded = await sessions.deleteTerminalSessions(trx, t.id);
  const removed = await operators.removeTerminalOperators(trx, t.id);
  await forgetSecrets(trx, [
    ...removed.map((id) => loginPasswords.loginRef('operator', id)),
    agentUnlock.unlockCodeRef(t.id),
  ]);
  await agentUnlock.forgetTerminalChallenges(trx, t.id);
  await terminals.rotateUnlockKey(trx, ctx, t.id);
  await unsetRefundPassword(trx, ctx, t.merchantId, historySize);
  await operators.addActivationSupervisor(trx, at, t, supervisorHash);
  return { operatorsRemoved: removed.length, sessionsEnded };
}

/**
 * Re-initialises a terminal: checks who asks (role, reach, the serial twice, a step-up password),
 * takes a backup unless told to skip it, then wipes the terminal in one transaction with its audit
 * event (`terminal.reinitialized`: who, from where, the backup or that it was skipped) and the
 * owner's e-mail. A cheap look at the open batch runs before the backup, so an unsettled terminal
 * is refused at once; the decisive check runs again under the locks.
 * @throws forbidden, not_found (unknown or out of reach: no existence leak),
 *   serial_confirmation_mismatch, step_up_password_invalid (counts toward the lockout), locked,
 *   batch_not_settled, reinitialize_backup_failed
 */
export async function reinitializeTerminal(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  terminalId: string,
  input: ReinitializeInput,
): Promise<ReinitializeResult> {
  assertRole(actor, REINITIALIZE_ROLES);
  const t = await terminals.findTerminal(db.kysely, terminalId);
  if (!t || !inReach(actor, t)) throw notFound('terminal');
  assertSerialConfirmed(t, input);
  await loginPasswords.confirmOwnPassword(db, ctx, actor, input.password, 'terminal.reinitialize');
  const early = await transaction(db, (trx) => settlement.lockOpenBatch(trx, t.id));
  if (early && early.payments > 0) throw errors.batchNotSettled(early.payments);

  let backupId: string | null = null;
  if (!input.skipBackup) {
    const run = await takeBackupNow(db, ctx, actor);
    if (run.status !== 'succeeded') {
      await recordAuditNow(db, ctx, {
        merchantId: t.merchantId,
        actor: auditActorOf(actor),
        action: 'terminal.reinitialize_failed',
        outcome: 'failure',
        objectType: 'terminal',
        objectId: t.id,
        terminalId: t.id,
        details: { reason: 'backup_failed', backupId: run.id },
      });
      throw errors.reinitializeBackupFailed(run.error);
    }
    backupId = run.id;
  }

  const activationCode = newActivationCode();
  const supervisorHash = await hashSecret(activationCode);
  const record = await merchants.findRefundPasswordRecord(db.kysely, t.merchantId);
  const merchant = record?.merchant;
  const historySize = policyFor(ctx, record?.policyOverride).historySize;
  const at = ctx.clock.now().toISOString();
  const wiped = await transaction(db, async (trx) => {
    const w = await wipeTerminal(trx, ctx, t, at, supervisorHash, historySize);
    await recordAudit(trx, ctx, {
      merchantId: t.merchantId,
      actor: auditActorOf(actor),
      action: 'terminal.reinitialized',
      outcome: 'success',
      objectType: 'terminal',
      objectId: t.id,
      terminalId: t.id,
      details: {
        role: actor.role,
        serial: t.serial,
        backupId,
        backupSkipped: backupId === null,
        operatorsRemoved: w.operatorsRemoved,
        sessionsEnded: w.sessionsEnded,
      },
    });
    await notifyMerchantOwner(
      trx,
      ctx,
      t.merchantId,
      'terminal_reinitialized',
      { merchantName: merchant?.name ?? '', serial: t.serial, at, by: actor.role },
      `terminal.reinitialized:${t.id}:${at}`,
    );
    return w;
  });
  return {
    terminalId: t.id,
    serial: t.serial,
    reinitializedAt: at,
    backupId,
    backupSkipped: backupId === null,
    ...wiped,
    supervisor: { code: '00', activationCode },
  };
}
