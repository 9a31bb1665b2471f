import { recordAudit } from '../audit/audit.service.js';
import { type Actor, assertRole, auditActorOf, type Role } from '../auth/actor.js';
import * as sessions from '../auth/session-revocation.js';
import type { AppContext } from '../context.js';
import { hashSecret } from '../credentials/hashing.js';
import { assertInitialOperatorPassword } from '../credentials/initial-secret.js';
import type { Db } from '../db/connect.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as journal from '../payments/journal.service.js';
import type { Terminal } from '../terminals/terminal.js';
import * as terminals from '../terminals/terminal.service.js';
import * as errors from './operator.errors.js';
import * as repo from './operator.repository.js';
import { type OperatorRole, roleForCode } from './operator.service.js';

/**
 * 柜员管理 (operator management) at a terminal: list, add, delete (soft). The terminal's supervisor
 * manages its own terminal, the merchant's owner any of the merchant's. Passwords are changed with
 * `PUT /api/v1/auth/password` (主管改密, one's own) and reset with
 * `POST …/operators/{code}/password-reset` (操作员改密).
 */
export const OPERATOR_ADMIN_ROLES: readonly Role[] = ['supervisor', 'merchant_owner'];

export interface OperatorView {
  code: string;
  role: OperatorRole;
  mustChangePassword: boolean;
  createdAt: string;
}

/** @throws forbidden, not_found (another merchant's terminal, or a supervisor's other terminal) */
async function managedTerminal(conn: Conn, actor: Actor, terminalId: string): Promise<Terminal> {
  assertRole(actor, OPERATOR_ADMIN_ROLES);
  const terminal = await terminals.findTerminal(conn, terminalId);
  if (!terminal || actor.merchantId !== terminal.merchantId) throw notFound('terminal');
  if (actor.kind === 'operator' && actor.terminalId !== terminal.id) throw notFound('terminal');
  return terminal;
}

/** 4 查询: the terminal's operators, by code. */
export async function listTerminalOperators(conn: Conn, actor: Actor, terminalId: string): Promise<OperatorView[]> {
  const terminal = await managedTerminal(conn, actor, terminalId);
  const rows = await repo.listOperatorRows(conn, terminal.id);
  return rows.map((r) => ({
    code: r.code,
    role: roleForCode(r.code),
    mustChangePassword: r.must_change_password === 1,
    createdAt: r.created_at,
  }));
}

/**
 * 2 增加: a cashier (01–99) with its first password; a code deleted before comes back with it.
 * @throws validation_failed (00, which is the supervisor), already_exists, password_* (policy), not_found
 */
export async function addTerminalOperator(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  terminalId: string,
  input: { code: string; password: string },
): Promise<OperatorView> {
  const terminal = await managedTerminal(db.kysely, actor, terminalId);
  if (input.code === '00') throw errors.supervisorCodeReserved();
  assertInitialOperatorPassword(ctx, input.password);
  const hash = await hashSecret(input.password);
  return transaction(db, (trx) => insertOrRestore(trx, ctx, actor, terminal, input.code, hash));
}

async function insertOrRestore(
  trx: Tx,
  ctx: AppContext,
  actor: Actor,
  terminal: Terminal,
  code: string,
  hash: string,
): Promise<OperatorView> {
  const input = { code };
  const at = ctx.clock.now().toISOString();
  const existing = await repo.findAnyOperatorByCode(trx, terminal.id, input.code);
  if (existing && existing.deleted_at === null) {
    throw errors.operatorExists(input.code);
  }
  const id = existing?.id ?? newId('op');
  if (existing) {
    if (!(await repo.restoreOperator(trx, existing.id, hash, at))) {
      throw errors.operatorExists(input.code);
    }
  } else {
    await repo.insertOperator(trx, {
      id,
      terminal_id: terminal.id,
      merchant_id: terminal.merchantId,
      code: input.code,
      role: roleForCode(input.code),
      password_hash: hash,
      must_change_password: 0,
      password_changed_at: at,
      created_at: at,
    });
  }
  await recordAudit(trx, ctx, {
    merchantId: terminal.merchantId,
    actor: auditActorOf(actor),
    action: 'operator.added',
    outcome: 'success',
    objectType: 'operator',
    objectId: id,
    terminalId: terminal.id,
    details: { operator: input.code, restored: existing !== undefined },
  });
  return {
    code: input.code,
    role: roleForCode(input.code),
    mustChangePassword: false,
    createdAt: existing?.created_at ?? at,
  };
}

/**
 * 3 删除: a soft delete; the operator's sessions end. Not the supervisor, not the operator making the
 * request, not one with transactions in the open batch.
 * @throws not_found, operator_not_deletable, operator_has_unsettled
 */
export async function deleteTerminalOperator(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  terminalId: string,
  code: string,
): Promise<void> {
  const terminal = await managedTerminal(db.kysely, actor, terminalId);
  await transaction(db, (trx) => softDelete(trx, ctx, actor, terminal, code));
}

async function softDelete(trx: Tx, ctx: AppContext, actor: Actor, terminal: Terminal, code: string): Promise<void> {
  const target = await repo.findOperatorByCode(trx, terminal.id, code);
  if (!target) throw notFound('operator');
  if (target.role === 'supervisor') throw errors.supervisorStays();
  if (actor.kind === 'operator' && actor.id === target.id) {
    throw errors.cannotDeleteSelf();
  }
  if (await journal.operatorHasUnsettled(trx, target.id)) throw errors.operatorHasUnsettled();
  const at = ctx.clock.now().toISOString();
  if (!(await repo.markDeleted(trx, target.id, at))) throw notFound('operator');
  await sessions.revokePrincipalSessions(trx, target.id, at);
  await recordAudit(trx, ctx, {
    merchantId: terminal.merchantId,
    actor: auditActorOf(actor),
    action: 'operator.deleted',
    outcome: 'success',
    objectType: 'operator',
    objectId: target.id,
    terminalId: terminal.id,
    details: { operator: code },
  });
}
