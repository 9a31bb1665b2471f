import { sql } from 'kysely';
import { prepare } from '../db/prepared.js';
import { type Conn, hasRowLocks, type Tx } from '../db/transaction.js';
import type {
  CaseFileShareLinkTable,
  DisputeAttachmentTable,
  DisputeCaseFileTable,
  DisputeEventTable,
  DisputeMessageTable,
  DisputeTable,
} from '../disputes/dispute.tables.js';
import type { DisputeStatus } from './dispute.js';

export async function insertDispute(trx: Tx, row: DisputeTable): Promise<void> {
  await trx.insertInto('disputes').values(row).execute();
}

export async function findDisputeRow(conn: Conn, id: string): Promise<DisputeTable | undefined> {
  return conn.selectFrom('disputes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The row, locked to the end of the transaction on PostgreSQL (SQLite's write lock already is one). */
export async function lockDisputeRow(trx: Tx, id: string): Promise<DisputeTable | undefined> {
  const q = trx.selectFrom('disputes').selectAll().where('id', '=', id);
  return (hasRowLocks(trx) ? q.forUpdate() : q).executeTakeFirst();
}

export async function findOpenDisputeOfPayment(conn: Conn, paymentId: string): Promise<DisputeTable | undefined> {
  return openDisputeOf.first(conn, { paymentId });
}
// The state is written as a literal, as in the partial unique index it must match
// (disputes_one_open_per_payment): compared with a parameter, SQLite could use that index only by
// planning the statement again for every value (4x the statement's time, and at every review).
const openDisputeOf = prepare((c, v: { paymentId: string }) =>
  c.selectFrom('disputes').selectAll().where('payment_id', '=', v.paymentId).where('status', '<>', sql.lit('closed')),
);

/**
 * The conditional update behind every transition: it moves the dispute only if it is still in
 * `from`. Zero rows means another writer moved it first.
 */
export async function updateStatus(
  trx: Tx,
  id: string,
  from: DisputeStatus,
  set: Partial<Omit<DisputeTable, 'id' | 'status'>> & { status: DisputeStatus; updated_at: string },
): Promise<boolean> {
  const r = await trx
    .updateTable('disputes')
    .set(set)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Rates a closed dispute once: zero rows when it is not closed or already rated. */
export async function setRating(
  trx: Tx,
  id: string,
  set: { rating: number; rating_comment: string | null; rated_at: string; updated_at: string },
): Promise<boolean> {
  const r = await trx
    .updateTable('disputes')
    .set(set)
    .where('id', '=', id)
    .where('status', '=', 'closed')
    .where('rating', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Takes the lease to create the refund a ruling ordered: one taker at a time, so the request
 * that made the ruling and the safety-net job never both create it.
 */
export async function claimForcedRefund(trx: Tx, id: string, now: string, until: string): Promise<boolean> {
  const r = await trx
    .updateTable('disputes')
    .set({ force_claimed_until: until })
    .where('id', '=', id)
    .where('forced_refund_id', 'is', null)
    .where((eb) => eb.or([eb('force_claimed_until', 'is', null), eb('force_claimed_until', '<', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Records the ordered refund once: false when it is already recorded. */
export async function setForcedRefund(trx: Tx, id: string, refundId: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('disputes')
    .set({ forced_refund_id: refundId, force_claimed_until: null, updated_at: at })
    .where('id', '=', id)
    .where('forced_refund_id', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function releaseForceClaim(conn: Conn, id: string): Promise<void> {
  await conn.updateTable('disputes').set({ force_claimed_until: null }).where('id', '=', id).execute();
}

export interface DisputePage {
  merchantIds?: readonly string[];
  status?: DisputeStatus;
  before?: string;
  limit: number;
}

export async function listDisputeRows(conn: Conn, p: DisputePage): Promise<DisputeTable[]> {
  let q = conn.selectFrom('disputes').selectAll();
  if (p.merchantIds) {
    if (p.merchantIds.length === 0) return [];
    q = q.where('merchant_id', 'in', p.merchantIds);
  }
  if (p.status) q = q.where('status', '=', p.status);
  if (p.before) q = q.where('id', '<', p.before);
  return q.orderBy('id', 'desc').limit(p.limit).execute();
}

export async function insertEvent(trx: Tx, row: DisputeEventTable): Promise<void> {
  await trx.insertInto('dispute_events').values(row).execute();
}

export async function listEventRows(conn: Conn, disputeId: string): Promise<DisputeEventTable[]> {
  return conn.selectFrom('dispute_events').selectAll().where('dispute_id', '=', disputeId).orderBy('id').execute();
}

export async function insertMessage(trx: Tx, row: DisputeMessageTable): Promise<void> {
  await trx.insertInto('dispute_messages').values(row).execute();
}

export async function listMessageRows(conn: Conn, disputeId: string): Promise<DisputeMessageTable[]> {
  return conn.selectFrom('dispute_messages').selectAll().where('dispute_id', '=', disputeId).orderBy('id').execute();
}

export async function insertAttachment(trx: Tx, row: DisputeAttachmentTable): Promise<void> {
  await trx.insertInto('dispute_attachments').values(row).execute();
}

export type AttachmentMeta = Omit<DisputeAttachmentTable, 'data'>;

/** Metadata only: the bytes are read one file at a time, on download. */
export async function listAttachmentMeta(conn: Conn, disputeId: string): Promise<AttachmentMeta[]> {
  return conn
    .selectFrom('dispute_attachments')
    .select(['id', 'dispute_id', 'message_id', 'filename', 'content_type', 'size', 'sha256', 'created_at'])
    .where('dispute_id', '=', disputeId)
    .orderBy('id')
    .execute();
}

export async function findAttachmentRow(
  conn: Conn,
  disputeId: string,
  id: string,
): Promise<DisputeAttachmentTable | undefined> {
  return conn
    .selectFrom('dispute_attachments')
    .selectAll()
    .where('dispute_id', '=', disputeId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertCaseFile(trx: Tx, row: DisputeCaseFileTable): Promise<void> {
  await trx.insertInto('dispute_case_files').values(row).execute();
}

export async function findCaseFileRow(conn: Conn, id: string): Promise<DisputeCaseFileTable | undefined> {
  return conn.selectFrom('dispute_case_files').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertShareLink(trx: Tx, row: CaseFileShareLinkTable): Promise<void> {
  await trx.insertInto('case_file_share_links').values(row).execute();
}

export async function findShareLinkByHash(conn: Conn, tokenHash: string): Promise<CaseFileShareLinkTable | undefined> {
  return conn.selectFrom('case_file_share_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** How many disputes are in each open state (every state but `closed`). */
export async function countOpenByStatus(conn: Conn): Promise<Map<string, number>> {
  const rows = await conn
    .selectFrom('disputes')
    .select(['status', (eb) => eb.fn.countAll().as('n')])
    .where('status', '<>', 'closed')
    .groupBy('status')
    .execute();
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}
