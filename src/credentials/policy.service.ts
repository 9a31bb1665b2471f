import { recordAudit } from '../audit/audit.service.js';
import { type Actor, assertRole, auditActorOf, type Role } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { type Conn, transaction } from '../db/transaction.js';
import * as merchants from '../merchants/merchant.service.js';
import * as errors from './credential.errors.js';
import { type PasswordPolicy, type PolicyOverride, policyFor, policyProblem } from './password-policy.js';

/** Who may set a merchant's password policy: the platform admin, or the merchant's own owner. */
export const POLICY_ROLES: readonly Role[] = ['platform_admin', 'merchant_owner'];
/**
 * Over HTTP, the owner only (`GET/PUT /api/v1/merchants/{id}/password-policy`): the platform admin
 * sets policies from the server's shell (`refunddesk refund-password policy`).
 */
export const POLICY_HTTP_ROLES: readonly Role[] = ['merchant_owner'];

export interface PolicyChanges {
  minLength?: number;
  maxLength?: number;
  expiryDays?: number;
  historySize?: number;
  maxFailures?: number;
  lockMinutes?: number;
  /** Start from the platform policy instead of the current override. */
  clear?: boolean;
}

export interface PolicyInForce {
  merchantId: string;
  override: PolicyOverride | null;
  policy: PasswordPolicy;
}

/** The override and the merged policy in force for a merchant. @throws forbidden, not_found */
export async function passwordPolicyOf(
  conn: Conn,
  ctx: AppContext,
  actor: Actor,
  merchantId: string,
): Promise<PolicyInForce> {
  assertRole(actor, POLICY_ROLES);
  await merchants.getMerchant(conn, actor, merchantId);
  const record = await merchants.findRefundPasswordRecord(conn, merchantId);
  const stored = record?.policyOverride ?? null;
  return {
    merchantId,
    override: stored ? (JSON.parse(stored) as PolicyOverride) : null,
    policy: policyFor(ctx, stored),
  };
}

/**
 * Changes a merchant's override of the platform password policy, within the PCI DSS bounds of
 * `policyProblem`, and audits it in the same transaction.
 * @throws not_found, forbidden, validation_failed
 */
export async function setPasswordPolicy(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  merchantId: string,
  changes: PolicyChanges,
): Promise<PolicyInForce> {
  assertRole(actor, POLICY_ROLES);
  const current = await passwordPolicyOf(db.kysely, ctx, actor, merchantId);
  const base: PolicyOverride = changes.clear || !current.override ? {} : current.override;
  const refund = { ...base.refundPassword };
  if (changes.minLength !== undefined) refund.minLength = changes.minLength;
  if (changes.maxLength !== undefined) refund.maxLength = changes.maxLength;
  if (changes.expiryDays !== undefined) refund.expiryDays = changes.expiryDays;
  const lockout = { ...base.lockout };
  if (changes.maxFailures !== undefined) lockout.maxFailures = changes.maxFailures;
  if (changes.lockMinutes !== undefined) lockout.lockMinutes = changes.lockMinutes;
  const next: PolicyOverride = {
    ...base,
    ...(Object.keys(refund).length > 0 ? { refundPassword: refund } : {}),
    ...(changes.historySize !== undefined ? { historySize: changes.historySize } : {}),
    ...(Object.keys(lockout).length > 0 ? { lockout } : {}),
  };
  const stored = Object.keys(next).length > 0 ? JSON.stringify(next) : null;
  const policy = policyFor(ctx, stored);
  const problem = policyProblem(policy);
  if (problem) throw errors.policyInvalid(problem);
  const { clear, ...set } = changes;
  await transaction(db, async (trx) => {
    await merchants.storePasswordPolicyOverride(trx, merchantId, stored);
    await recordAudit(trx, ctx, {
      merchantId,
      actor: auditActorOf(actor),
      action: 'password_policy.changed',
      outcome: 'success',
      objectType: 'merchant',
      objectId: merchantId,
      details: { cleared: Boolean(clear), set },
    });
  });
  return { merchantId, override: stored ? next : null, policy };
}
