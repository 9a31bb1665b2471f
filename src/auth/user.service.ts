import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import { hashSecret } from '../credentials/hashing.js';
import { assertInitialConsolePassword } from '../credentials/initial-secret.js';
import type { Db } from '../db/connect.js';
import { type Conn, isUniqueViolation, type Tx } from '../db/transaction.js';
import { newId } from '../ids.js';
import type { UserRole } from './actor.js';
import * as errors from './auth.errors.js';
import * as repo from './user.repository.js';

export interface NewUser {
  email: string;
  name: string;
  role: UserRole;
  password: string;
  merchantId?: string | null;
  acquirerId?: string | null;
  agentId?: string | null;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  merchantId: string | null;
  acquirerId: string | null;
  agentId: string | null;
  createdAt: string;
}

const TENANT_FOR_ROLE: Record<UserRole, 'merchantId' | 'acquirerId' | 'agentId' | null> = {
  merchant_owner: 'merchantId',
  acquirer_reviewer: 'acquirerId',
  agent_staff: 'agentId',
  platform_admin: null,
};

/** Creates a console user bound to the tenant its role needs. @throws validation_failed, already_exists */
/**
 * Creates a console user. The password is held to the console rules, except for the demo seed,
 * whose README logins are fixed (`Owner-Demo-2026!` holds the e-mail name `owner`).
 */
export async function createUser(
  db: Db,
  ctx: AppContext,
  input: NewUser,
  opts: { demo?: boolean } = {},
): Promise<User> {
  const tenant = TENANT_FOR_ROLE[input.role];
  if (tenant && !input[tenant]) throw errors.tenantRequired(input.role, tenant);
  if (!opts.demo) assertInitialConsolePassword(ctx, input.password, input.email);
  const row = {
    id: newId('usr'),
    email: input.email.toLowerCase(),
    name: input.name,
    role: input.role,
    password_hash: await hashSecret(input.password),
    merchant_id: tenant === 'merchantId' ? (input.merchantId ?? null) : null,
    acquirer_id: tenant === 'acquirerId' ? (input.acquirerId ?? null) : null,
    agent_id: tenant === 'agentId' ? (input.agentId ?? null) : null,
    password_changed_at: nowIso(ctx),
    created_at: nowIso(ctx),
  };
  try {
    await repo.insertUser(db.kysely, row);
  } catch (e) {
    if (isUniqueViolation(e)) throw errors.userExists(row.email);
    throw e;
  }
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: input.role,
    merchantId: row.merchant_id,
    acquirerId: row.acquirer_id,
    agentId: row.agent_id,
    createdAt: row.created_at,
  };
}

export async function findUserCredentials(conn: Conn, email: string) {
  return repo.findUserByEmail(conn, email.toLowerCase());
}

export async function findUserRecord(conn: Conn, id: string) {
  return repo.findUserById(conn, id);
}

export async function storeUserPassword(trx: Tx, id: string, hash: string, at: string): Promise<void> {
  await repo.setUserPassword(trx, id, hash, at);
}
