import type { AppContext } from '../context.js';
import { randomToken } from '../credentials/hashing.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import { newId } from '../ids.js';
import { buildCaseFile } from './case-file.service.js';
import * as errors from './dispute.errors.js';
import {
  addDays,
  auditSafeHash,
  canTransition,
  type Dispute,
  type DisputeStatus,
  disputeSettings,
  redactPans,
} from './dispute.js';
import * as repo from './dispute.repository.js';
import { type DisputeCaller, reach } from './dispute-access.js';
import { step } from './dispute-step.js';
import { loadDispute } from './dispute-view.js';

export interface Referral {
  dispute: Dispute;
  caseFile: { id: string; sha256: string; generatedAt: string };
  /** For the third party: shown once (stored as SHA-256), valid for `shareLinkDays`. */
  shareLink: { token: string; url: string; expiresAt: string };
}

/**
 * Either side refers a dispute the acquirer ruled for the merchant to a third party. The case file
 * is frozen now (JSON, its SHA-256 recorded in the dispute's event and the audit log) and an
 * expiring share link to it is made for the third party. The file is assembled before the
 * transaction (it reads other domains); the transaction checks that the dispute has not moved
 * since — nothing in a case file changes while the state stays `resolved_for_merchant`.
 * @throws unauthenticated, not_found, forbidden, invalid_transition
 */
export async function refer(
  db: Db,
  ctx: AppContext,
  caller: DisputeCaller,
  id: string,
  reason?: string,
): Promise<Referral> {
  const { row, party, actor } = await reach(db, ctx, caller, id);
  if (party !== 'customer' && party !== 'merchant') {
    throw errors.notYourPart('only the customer or the merchant refers a dispute');
  }
  if (!canTransition(row.status as DisputeStatus, 'referred')) {
    throw errors.invalidTransition(row.status as DisputeStatus, 'referred');
  }
  const at = ctx.clock.now().toISOString();
  const note = reason ? redactPans(reason) : null;
  const file = await buildCaseFile(db, ctx, row, { at, by: actor, reason: note });
  const token = randomToken('rdf_', 32);
  const expiresAt = addDays(at, disputeSettings(ctx.config).shareLinkDays);
  const caseFileId = newId('dcf');
  const linkId = newId('shr');
  await transaction(db, async (tx) => {
    const current = await repo.lockDisputeRow(tx, id);
    if (current?.status !== row.status) {
      throw errors.invalidTransition((current?.status ?? row.status) as DisputeStatus, 'referred');
    }
    await repo.insertCaseFile(tx, {
      id: caseFileId,
      dispute_id: id,
      sha256: file.sha256,
      content: JSON.stringify(file),
      created_at: at,
    });
    await repo.insertShareLink(tx, {
      id: linkId,
      dispute_id: id,
      case_file_id: caseFileId,
      token_hash: sha256Hex(token),
      created_by_kind: actor.kind,
      created_by_id: actor.id,
      created_at: at,
      expires_at: expiresAt,
    });
    await step(tx, ctx, current, actor, {
      kind: 'transition',
      to: 'referred',
      note: `case file ${caseFileId} sha256 ${file.sha256}${note ? `: ${note}` : ''}`,
      set: { referred_at: at },
      action: 'dispute.referred',
      details: {
        caseFileId,
        caseFileSha256: auditSafeHash(file.sha256),
        shareLinkId: linkId,
        shareLinkExpiresAt: expiresAt,
      },
      notify: { customer: 'dispute_referred', merchant: 'dispute_referred', data: { sha256: file.sha256 } },
      webhook: 'dispute.referred',
    });
  });
  return {
    dispute: await loadDispute(db.kysely, ctx, id),
    caseFile: { id: caseFileId, sha256: file.sha256, generatedAt: file.generatedAt },
    shareLink: { token, url: `/api/v1/public/case-files/${token}`, expiresAt },
  };
}
