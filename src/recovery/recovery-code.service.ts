import { randomInt } from 'node:crypto';
import { recordAudit, recordAuditNow } from '../audit/audit.service.js';
import { type Actor, assertRole, auditActorOf, type Role } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { checkWithLockout } from '../credentials/credential.service.js';
import { hashSecret, verifySecret } from '../credentials/hashing.js';
import { policyFor } from '../credentials/password-policy.js';
import { type NewPassword, resetRefundPassword } from '../credentials/refund-password.service.js';
import type { Db } from '../db/connect.js';
import { type Conn, onCommit, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as merchants from '../merchants/merchant.service.js';
import { queueNotification } from '../notifications/notification.service.js';
import * as errors from './recovery.errors.js';
import * as repo from './recovery.repository.js';
import './recovery.notifications.js';

export type RecoveryChannel = 'sms' | 'email';

/** Who may ask for and use a one-time code: the people who could change the password. */
export const RECOVERY_CODE_ROLES: readonly Role[] = ['supervisor', 'merchant_owner'];

/** The code's failures are counted per merchant, not per code: asking for a new code does not reset them. */
const codeRef = (merchantId: string) => `recovery_code:${merchantId}`;

async function merchantFor(conn: Conn, ctx: AppContext, actor: Actor, merchantId: string) {
  assertRole(actor, RECOVERY_CODE_ROLES);
  const r = await merchants.findRefundPasswordRecord(conn, merchantId);
  if (!r || actor.merchantId !== merchantId) throw notFound('merchant');
  return { ...r, policy: policyFor(ctx, r.policyOverride) };
}

/**
 * Sends a 6-digit one-time code to the merchant's registered phone or e-mail. The answer is the
 * same whether or not that contact exists, so it reveals nothing; at most N sends an hour, counted
 * and recorded in one serialised transaction, so concurrent requests cannot exceed it.
 * @throws not_found, rate_limited
 */
export async function sendRecoveryCode(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  merchantId: string,
  channel: RecoveryChannel,
): Promise<{ status: 'sent_if_registered'; expiresInSeconds: number }> {
  const r = await merchantFor(db.kysely, ctx, actor, merchantId);
  const now = ctx.clock.now();
  const { codeMinutes, maxSendsPerHour } = r.policy.recovery;
  const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
  const tooMany = () => errors.tooManyCodes(maxSendsPerHour);
  // An early answer before the hash is computed; the count that decides is the one in the transaction.
  if ((await repo.countRecoveryCodesSince(db.kysely, merchantId, hourAgo)) >= maxSendsPerHour) throw tooMany();
  const to = channel === 'sms' ? r.merchant.phone : r.merchant.email;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  // Hash even when there is nowhere to send it, so both answers take the same time.
  const codeHash = await hashSecret(code);
  const id = newId('rco');
  await transaction(db, async (trx) => {
    await repo.lockMerchantCodes(trx, merchantId);
    if ((await repo.countRecoveryCodesSince(trx, merchantId, hourAgo)) >= maxSendsPerHour) throw tooMany();
    await repo.insertRecoveryCode(trx, {
      id,
      merchant_id: merchantId,
      channel,
      code_hash: to ? codeHash : null,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + codeMinutes * 60_000).toISOString(),
      used_at: null,
    });
    if (to) {
      await queueNotification(trx, ctx, {
        merchantId,
        channel,
        to,
        template: 'recovery_code',
        language: r.merchant.language,
        data: { code, minutes: codeMinutes },
        dedupeKey: `recovery:${id}`,
      });
      onCommit(trx, () => ctx.metrics.oneTimeCodeSent(channel));
    }
    await recordAudit(trx, ctx, {
      merchantId,
      actor: auditActorOf(actor),
      action: 'refund_password.recovery_requested',
      outcome: 'success',
      objectType: 'merchant',
      objectId: merchantId,
      terminalId: actor.terminalId,
      details: { channel, contactRegistered: Boolean(to) },
    });
  });
  return { status: 'sent_if_registered', expiresInSeconds: codeMinutes * 60 };
}

/**
 * Finishes a recovery: the latest code, within 10 minutes, once, sets a new refund password.
 * @throws not_found, recovery_code_invalid, locked, password_* (policy), password_reused
 */
export async function verifyRecoveryCode(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  merchantId: string,
  input: NewPassword & { code: string },
): Promise<void> {
  const r = await merchantFor(db.kysely, ctx, actor, merchantId);
  const latest = await repo.findLatestRecoveryCode(db.kysely, merchantId);
  const nowIso = ctx.clock.now().toISOString();
  const usable = latest && !latest.used_at && latest.expires_at > nowIso && latest.code_hash;
  const ok = await checkWithLockout(db, ctx, {
    ref: codeRef(merchantId),
    policy: r.policy,
    verify: async () => Boolean(usable && latest.code_hash && (await verifySecret(latest.code_hash, input.code))),
    lockNotice: {
      merchantId,
      actor: auditActorOf(actor),
      action: 'recovery_code.locked',
      objectType: 'merchant',
      objectId: merchantId,
      terminalId: actor.terminalId,
      template: 'recovery_locked',
      data: { merchantName: r.merchant.name, method: 'code' },
    },
  });
  if (!ok || !latest) {
    await recordAuditNow(db, ctx, {
      merchantId,
      actor: auditActorOf(actor),
      action: 'refund_password.reset_failed',
      outcome: 'failure',
      objectType: 'merchant',
      objectId: merchantId,
      terminalId: actor.terminalId,
      details: { method: latest?.channel ?? 'unknown' },
    });
    throw errors.recoveryCodeInvalid();
  }
  await resetRefundPassword(
    db,
    ctx,
    merchantId,
    input,
    { actor: auditActorOf(actor), method: latest.channel === 'sms' ? 'sms' : 'email', terminalId: actor.terminalId },
    async (trx) => {
      if (!(await repo.markRecoveryCodeUsed(trx, latest.id, ctx.clock.now().toISOString()))) {
        throw errors.recoveryCodeUsed();
      }
    },
  );
}
