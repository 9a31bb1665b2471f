import { recordAudit } from '../audit/audit.service.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import { newId } from '../ids.js';
import { notifyMerchantOwner } from '../notifications/notification.service.js';
import { type AttachmentInput, validateAttachments } from './attachment.js';
import * as errors from './dispute.errors.js';
import { auditSafeHash, canPost, type Dispute, type DisputeStatus, redactPans } from './dispute.js';
import * as repo from './dispute.repository.js';
import { type DisputeCaller, reach } from './dispute-access.js';
import { notifyCustomer } from './dispute-step.js';
import { loadDispute } from './dispute-view.js';

/** The thread between the customer and the merchant (the acquirer joins it once escalated). */

/**
 * Adds a message (and up to 3 small attachments) to the thread: the customer or the merchant while
 * negotiating; the acquirer too once escalated. The other side is notified.
 * @throws unauthenticated, not_found, forbidden, invalid_transition, attachment_*, validation_failed
 */
export async function postMessage(
  db: Db,
  ctx: AppContext,
  caller: DisputeCaller,
  id: string,
  input: { body: string; attachments?: AttachmentInput[] },
): Promise<Dispute> {
  const { row, party, actor } = await reach(db, ctx, caller, id);
  if (party === 'admin') throw errors.notYourPart('the platform reads disputes, it does not take part');
  if (!canPost(row.status as DisputeStatus, party)) {
    throw errors.invalidTransition(row.status as DisputeStatus, `written to by the ${party}`);
  }
  const files = validateAttachments(input.attachments ?? []);
  await transaction(db, async (tx) => {
    // Locked: a ruling that closes the thread cannot slip in between this check and the insert.
    const current = await repo.lockDisputeRow(tx, id);
    if (!current || !canPost(current.status as DisputeStatus, party)) {
      throw errors.invalidTransition((current?.status ?? row.status) as DisputeStatus, `written to by the ${party}`);
    }
    const at = ctx.clock.now().toISOString();
    const messageId = newId('dpm');
    await repo.insertMessage(tx, {
      id: messageId,
      dispute_id: id,
      author_party: party,
      author_kind: actor.kind,
      author_id: actor.id,
      body: redactPans(input.body),
      created_at: at,
    });
    for (const f of files) {
      await repo.insertAttachment(tx, {
        id: newId('dpa'),
        dispute_id: id,
        message_id: messageId,
        filename: redactPans(f.filename),
        content_type: f.contentType,
        size: f.size,
        sha256: f.sha256,
        data: f.data,
        created_at: at,
      });
    }
    const data = { disputeId: id, paymentId: current.payment_id, from: party };
    if (party !== 'customer') {
      await notifyCustomer(tx, ctx, current, 'dispute_message', data, `dispute:${messageId}:customer`);
    }
    if (party !== 'merchant') {
      await notifyMerchantOwner(tx, ctx, current.merchant_id, 'dispute_message', data, `dispute:${messageId}:merchant`);
    }
    // Free text (bodies, file names) stays out of the audit log: only ids, types, sizes, hashes.
    await recordAudit(tx, ctx, {
      merchantId: current.merchant_id,
      actor,
      action: 'dispute.message_posted',
      outcome: 'success',
      objectType: 'dispute',
      objectId: id,
      details: {
        messageId,
        party,
        attachments: files.map((f) => ({ contentType: f.contentType, size: f.size, sha256: auditSafeHash(f.sha256) })),
      },
    });
  });
  return loadDispute(db.kysely, ctx, id);
}

/** One attachment's bytes, for whoever may read the dispute. @throws not_found */
export async function getAttachment(
  db: Db,
  ctx: AppContext,
  caller: DisputeCaller,
  id: string,
  attachmentId: string,
): Promise<{ filename: string; contentType: string; sha256: string; data: Buffer }> {
  await reach(db, ctx, caller, id);
  const a = await repo.findAttachmentRow(db.kysely, id, attachmentId);
  if (!a) throw errors.attachmentNotFound();
  return { filename: a.filename, contentType: a.content_type, sha256: a.sha256, data: Buffer.from(a.data) };
}
