import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import { hashSecret } from '../credentials/hashing.js';
import { assertInitialOperatorPassword } from '../credentials/initial-secret.js';
import type { Db } from '../db/connect.js';
import { type Conn, isUniqueViolation, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as terminals from '../terminals/terminal.service.js';
import * as errors from './operator.errors.js';
import * as repo from './operator.repository.js';

export type OperatorRole = 'supervisor' | 'cashier';

export interface Operator {
  id: string;
  terminalId: string;
  merchantId: string;
  code: string;
  role: OperatorRole;
  createdAt: string;
}

/** Operator `00` is the terminal's supervisor (主管); `01`–`99` are cashiers (操作员). */
export function roleForCode(code: string): OperatorRole {
  return code === '00' ? 'supervisor' : 'cashier';
}

export const OPERATOR_CODE = /^\d{2}$/;

/**
 * Takes the database: the password is hashed (argon2) before the transaction that inserts the row.
 * @throws validation_failed (code), not_found (terminal), already_exists (code on that terminal)
 */
export async function addOperator(
  db: Db,
  ctx: AppContext,
  input: { terminalId: string; code: string; password: string },
): Promise<Operator> {
  if (!OPERATOR_CODE.test(input.code)) throw errors.operatorCodeInvalid();
  const terminal = await terminals.findTerminal(db.kysely, input.terminalId);
  if (!terminal) throw notFound('terminal');
  assertInitialOperatorPassword(ctx, input.password);
  const row = {
    id: newId('op'),
    terminal_id: terminal.id,
    merchant_id: terminal.merchantId,
    code: input.code,
    role: roleForCode(input.code),
    password_hash: await hashSecret(input.password),
    must_change_password: 0,
    password_changed_at: nowIso(ctx),
    created_at: nowIso(ctx),
  };
  try {
    await transaction(db, (tx) => repo.insertOperator(tx, row));
  } catch (e) {
    if (isUniqueViolation(e)) throw errors.operatorExists(input.code);
    throw e;
  }
  return {
    id: row.id,
    terminalId: row.terminal_id,
    merchantId: row.merchant_id,
    code: row.code,
    role: row.role,
    createdAt: row.created_at,
  };
}

export async function findOperatorCredentials(conn: Conn, terminalId: string, code: string) {
  return repo.findOperatorByCode(conn, terminalId, code);
}

export async function findOperatorRecord(conn: Conn, id: string) {
  return repo.findOperatorById(conn, id);
}

/** Stores a new operator password hash (history and policy are the credentials service's job). */
export async function storeOperatorPassword(trx: Tx, id: string, hash: string, mustChange: boolean, at: string) {
  await repo.setOperatorPassword(trx, id, hash, mustChange, at);
}

/** Deletes every operator of a terminal (a re-initialisation); returns their ids. */
export async function removeTerminalOperators(trx: Tx, terminalId: string): Promise<string[]> {
  return repo.deleteTerminalOperators(trx, terminalId);
}

/** Whether the operator still exists: read inside a transaction, after the terminal's lock. */
export async function operatorExists(conn: Conn, id: string): Promise<boolean> {
  return (await repo.findOperatorById(conn, id)) !== undefined;
}

/**
 * Recreates the supervisor (00) of a re-initialised terminal with a one-time activation code as
 * its password (`hash`), to be changed at first sign-on (must change).
 */
export async function addActivationSupervisor(
  trx: Tx,
  at: string,
  terminal: { id: string; merchantId: string },
  hash: string,
): Promise<Operator> {
  const row = {
    id: newId('op'),
    terminal_id: terminal.id,
    merchant_id: terminal.merchantId,
    code: '00',
    role: roleForCode('00'),
    password_hash: hash,
    must_change_password: 1,
    password_changed_at: null,
    created_at: at,
  };
  await repo.insertOperator(trx, row);
  return {
    id: row.id,
    terminalId: row.terminal_id,
    merchantId: row.merchant_id,
    code: '00',
    role: row.role,
    createdAt: at,
  };
}
