import { type AuditEvent, listAuditEvents, recordAudit } from '../audit/audit.service.js';
import { type Actor, systemActor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Db } from '../db/connect.js';
import { type Conn, transaction } from '../db/transaction.js';
import type { DisputeTable } from '../disputes/dispute.tables.js';
import * as merchants from '../merchants/merchant.service.js';
import * as payments from '../payments/payment.service.js';
import { hitRateLimit } from '../ratelimit/rate-limit.js';
import * as refunds from '../refunds/refund.service.js';
import { assembleCaseFile, type CaseFile, type CaseFileInputs, sealCaseFile } from './case-file.js';
import * as errors from './dispute.errors.js';
import { auditSafeHash } from './dispute.js';
import * as repo from './dispute.repository.js';
import { reach } from './dispute-access.js';
import { toDispute } from './dispute-view.js';

const MINUTE = 60_000;

/** Every audit event of these objects of the merchant, page by page. */
async function auditEventsOf(db: Db, ctx: AppContext, merchantId: string, objectIds: string[]) {
  const out: AuditEvent[] = [];
  for (const objectId of objectIds) {
    let cursor: string | undefined;
    do {
      const page = await listAuditEvents(db, ctx, systemActor, { merchantId, objectId, limit: 500, cursor });
      out.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return out;
}

/**
 * The case file of a dispute as it stands, sealed (SHA-256 of its canonical JSON), with the
 * referral that froze it when there is one.
 */
export async function buildCaseFile(
  db: Db,
  ctx: AppContext,
  row: DisputeTable,
  referral: CaseFileInputs['referral'],
): Promise<CaseFile> {
  const conn = db.kysely;
  const [payment, merchant, refundList] = await Promise.all([
    payments.findPaymentById(conn, row.payment_id),
    merchants.findMerchant(conn, row.merchant_id),
    refunds.listRefundsOfPayment(conn, row.payment_id),
  ]);
  // The rules in force when the disputed refund was asked for (or the dispute opened), not today's.
  const policyAsOf = refundList.find((r) => r.id === row.refund_id)?.createdAt ?? row.created_at;
  const refundPolicy = await refunds.getRefundPolicyAt(conn, row.merchant_id, policyAsOf);
  if (!payment || !merchant) throw new Error(`dispute ${row.id} points at a missing payment or merchant`);
  const dispute = await toDispute(conn, ctx, row, refundList);
  const auditEvents = await auditEventsOf(db, ctx, row.merchant_id, [
    row.id,
    row.payment_id,
    ...refundList.map((r) => r.id),
  ]);
  const content = assembleCaseFile({
    dispute,
    merchant: { id: merchant.id, name: merchant.name },
    payment,
    refunds: refundList,
    refundPolicy,
    auditEvents,
    referral,
  });
  return sealCaseFile(content, ctx.clock.now().toISOString());
}

/**
 * The case file as it stands now, for the merchant's people and the acquirer, at any stage. (The
 * third party reads the file frozen at referral, through its share link.)
 * @throws not_found, forbidden
 */
export async function getCaseFile(db: Db, ctx: AppContext, actor: Actor, id: string): Promise<CaseFile> {
  const { row } = await reach(db, ctx, { kind: 'staff', actor }, id);
  const frozen = row.referred_at ? await latestReferral(db.kysely, row) : null;
  return buildCaseFile(db, ctx, row, frozen);
}

async function latestReferral(conn: Conn, row: DisputeTable): Promise<CaseFileInputs['referral']> {
  const events = await repo.listEventRows(conn, row.id);
  const e = events.find((x) => x.kind === 'transition' && x.to_status === 'referred');
  return e ? { at: e.created_at, by: { kind: e.actor_kind, id: e.actor_id }, reason: e.note } : null;
}

/**
 * The case file frozen at referral, for the third party holding the share link. Each use is
 * recorded in the merchant's audit log.
 * @throws not_found (unknown token), share_link_expired, rate_limited
 */
export async function getSharedCaseFile(db: Db, ctx: AppContext, ip: string, token: string): Promise<CaseFile> {
  await hitRateLimit(db, ctx, `case-file:ip:${ip}`, 60, 10 * MINUTE);
  const link = await repo.findShareLinkByHash(db.kysely, sha256Hex(token));
  if (!link) throw errors.caseFileNotFound();
  if (link.expires_at <= ctx.clock.now().toISOString()) throw errors.shareLinkExpired(link.expires_at);
  const file = await repo.findCaseFileRow(db.kysely, link.case_file_id);
  const dispute = await repo.findDisputeRow(db.kysely, link.dispute_id);
  if (!file || !dispute) throw errors.caseFileNotFound();
  await transaction(db, (tx) =>
    recordAudit(tx, ctx, {
      merchantId: dispute.merchant_id,
      actor: { kind: 'share_link', id: link.id },
      action: 'dispute.case_file_shared_read',
      outcome: 'success',
      objectType: 'dispute',
      objectId: dispute.id,
      details: { caseFileId: file.id, caseFileSha256: auditSafeHash(file.sha256) },
    }),
  );
  return JSON.parse(file.content) as CaseFile;
}
