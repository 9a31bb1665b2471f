import type { Actor, Role } from '../auth/actor.js';
import { operatorActorOf, userActorOf } from '../auth/session.service.js';
import * as users from '../auth/user.service.js';
import type { Conn } from '../db/transaction.js';
import { notFound } from '../errors.js';
import * as operators from '../operators/operator.service.js';
import type { Terminal } from '../terminals/terminal.js';
import * as terminals from '../terminals/terminal.service.js';
import * as errors from './cli.errors.js';

/**
 * The principal a CLI command acts as. The CLI is the operator's shell on the server: whoever runs
 * it can already reach the database, so it does not ask for the principal's login password, but it
 * never acts as an anonymous superuser for a merchant action either. It builds the same Actor a
 * login would (tenant, terminal, role, "must change password"), applies the same role list as the
 * matching HTTP route, and hands that Actor to the service, so the service's tenant checks apply
 * and the audit log names who acted.
 */
export interface ActAs {
  /** `<terminalId|serial>:<code>`, e.g. `T-0001:00` (the terminal's supervisor). */
  asOperator?: string;
  /** A console user's e-mail, e.g. `owner@merchant.demo`. */
  asUser?: string;
}

/** A terminal named by id (`trm_…`) or serial (`T-0001`). @throws not_found */
export async function resolveTerminal(conn: Conn, ref: string): Promise<Terminal> {
  const t = ref.startsWith('trm_')
    ? await terminals.findTerminal(conn, ref)
    : await terminals.findTerminalBySerial(conn, ref);
  if (!t) throw notFound(`terminal ${ref}`);
  return t;
}

/** Splits `T-0001:00` into terminal and two-digit code. @throws validation_failed */
export function parseOperatorSpec(spec: string): { terminal: string; code: string } {
  const at = spec.lastIndexOf(':');
  const terminal = at > 0 ? spec.slice(0, at) : '';
  const code = at > 0 ? spec.slice(at + 1) : '';
  if (!terminal || !operators.OPERATOR_CODE.test(code)) {
    throw errors.badArgument(`--as-operator is <terminal id or serial>:<two-digit code>, e.g. T-0001:00`);
  }
  return { terminal, code };
}

/** The operator `code` of a terminal, as a terminal login would make it. @throws not_found, forbidden */
export async function operatorActor(conn: Conn, spec: string): Promise<Actor> {
  const { terminal: ref, code } = parseOperatorSpec(spec);
  const terminal = await resolveTerminal(conn, ref);
  const op = await operators.findOperatorCredentials(conn, terminal.id, code);
  if (!op) throw notFound(`operator ${code} on terminal ${terminal.serial}`);
  if (terminal.status !== 'active') throw errors.notAllowed(`terminal ${terminal.serial} is ${terminal.status}`);
  return { ...operatorActorOf(op, terminal), scopes: [], sessionId: null };
}

/** The console user with this e-mail, as a console login would make it. @throws not_found */
export async function userActor(conn: Conn, email: string): Promise<Actor> {
  const u = await users.findUserCredentials(conn, email);
  if (!u) throw notFound(`console user ${email}`);
  return { ...userActorOf(u), scopes: [], sessionId: null };
}

/**
 * Resolves `--as-operator` / `--as-user` (exactly one) and checks the role against `roles`, the
 * list the matching HTTP route declares, and the "must change password" rule the auth hook applies
 * (unless, like the route that changes one's own password, the command is the way out of it).
 * @throws validation_failed, not_found, forbidden, password_change_required
 */
export async function actAs(
  conn: Conn,
  who: ActAs,
  roles: readonly Role[],
  opts: { allowWhilePasswordChangeRequired?: boolean } = {},
): Promise<Actor> {
  if (who.asOperator && who.asUser) throw errors.badArgument('give --as-operator or --as-user, not both');
  if (!who.asOperator && !who.asUser) {
    throw errors.badArgument(`say who acts: --as-operator <terminal>:<code> or --as-user <email>`);
  }
  const actor = who.asOperator
    ? await operatorActor(conn, who.asOperator)
    : await userActor(conn, who.asUser as string);
  if (!roles.includes(actor.role)) {
    throw errors.notAllowed(`a ${actor.role} may not do this (allowed: ${roles.join(', ')})`);
  }
  if (actor.mustChangePassword && !opts.allowWhilePasswordChangeRequired) {
    throw errors.passwordChangeRequired();
  }
  return actor;
}

/** Who acted, for the command's output (the same identity the audit log records). */
export function actedAs(actor: Actor): { kind: Actor['kind']; id: string; role: Role } {
  return { kind: actor.kind, id: actor.id, role: actor.role };
}
