import type { AuditEventTable } from '../audit/audit.tables.js';
import { type Actor, canSeeMerchant, type Role, systemActor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import type { Db } from '../db/connect.js';
import type { GatheredWork } from '../db/gathered.js';
import { type Page, pageOf } from '../db/page.js';
import { atEndGathered, type Conn, type Tx, transaction } from '../db/transaction.js';
import { forbidden, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { findMerchant, visibleMerchantIds } from '../merchants/merchant.service.js';
import { notIsoDateTime } from './audit.errors.js';
import * as repo from './audit.repository.js';
import {
  type AuditEvent,
  type AuditInput,
  type AuditProblem,
  type AuditVerification,
  assertValidAuditInput,
  auditHash,
  canonicalJson,
  chainOf,
  containsPan,
  GENESIS_HASH,
  PLATFORM_CHAIN,
  UnsafeAuditRecordError,
} from './audit-event.js';

export type { AuditEvent, AuditInput, AuditVerification } from './audit-event.js';

const MAX_DETAILS_CHARS = 16 * 1024;

/**
 * Appends one event to the merchant's chain (or the platform chain when `merchantId` is null),
 * inside the caller's transaction, so the event commits or rolls back with the change it records.
 * The event is checked and keeps the time of the call; it is written at the transaction's end
 * (`atEndGathered`), with the other events of that transaction — on SQLite, of its whole
 * group-commit batch — one chain at a time in the chains' name order: each chain's head is claimed
 * once for all its new events (on PostgreSQL its row lock, held to COMMIT, serialises appends to
 * one chain; merchants never queue behind each other), and taken last in every transaction, in
 * one order, the chains never stand in a deadlock.
 * @throws UnsafeAuditRecordError (a bug in the caller: a secret-like key, a card number, a bad action)
 */
export async function recordAudit(trx: Tx, ctx: AppContext, input: AuditInput): Promise<void> {
  assertValidAuditInput(input);
  const details = canonicalJson(input.details ?? {});
  if (details.length > MAX_DETAILS_CHARS) {
    throw new UnsafeAuditRecordError('details', `larger than ${MAX_DETAILS_CHARS} characters`);
  }
  await atEndGathered(trx, chainAppends, {
    id: newId('aud'),
    chain: chainOf(input.merchantId),
    at: nowIso(ctx),
    actor_kind: input.actor.kind,
    actor_id: input.actor.id,
    action: input.action,
    outcome: input.outcome,
    object_type: input.objectType ?? null,
    object_id: input.objectId ?? null,
    terminal_id: input.terminalId ?? null,
    ip: input.ip ?? input.actor.ip ?? null,
    details,
  });
}

/** An event checked and waiting for its place in its chain: everything but its seq and hashes. */
type PendingEvent = Omit<AuditEventTable, 'seq' | 'prev_hash' | 'hash'>;

/** Writes a transaction's events: per chain, in name order, its head claimed once for all of them. */
const chainAppends: GatheredWork<PendingEvent> = {
  async flush(trx, events) {
    const byChain = new Map<string, PendingEvent[]>();
    for (const e of events) {
      const list = byChain.get(e.chain);
      if (list) list.push(e);
      else byChain.set(e.chain, [e]);
    }
    for (const chain of [...byChain.keys()].sort()) {
      const pending = byChain.get(chain) as PendingEvent[];
      const first = await repo.claimSeqs(trx, chain, pending.length);
      let prevHash = first.prevHash;
      const rows = pending.map((e, i): AuditEventTable => {
        const unhashed = { ...e, seq: first.seq + i, prev_hash: prevHash };
        prevHash = auditHash(unhashed);
        return { ...unhashed, hash: prevHash };
      });
      await repo.insertEvents(trx, rows);
      await repo.setHeadHash(trx, chain, first.seq + rows.length - 1, prevHash);
    }
  },
};

/**
 * Appends one event in a transaction of its own (it takes the database): for what happens outside
 * any change (a failed login, a refused refund password, a read of the log). Inside a transaction,
 * call `recordAudit` with it.
 * @throws UnsafeAuditRecordError
 */
export async function recordAuditNow(db: Db, ctx: AppContext, input: AuditInput): Promise<void> {
  await transaction(db, (trx) => recordAudit(trx, ctx, input));
}

const VERIFY_PAGE = 1000;

type BadRow = NonNullable<AuditVerification['firstBad']>;

async function verifyChain(conn: Conn, chain: string): Promise<{ exists: boolean; events: number; firstBad?: BadRow }> {
  let events = 0;
  let expected = 1;
  let prev = GENESIS_HASH;
  let last: AuditEventTable | undefined;
  let after: number | null = null;
  const bad = (row: Pick<AuditEventTable, 'id' | 'seq'>, problem: AuditProblem) => ({
    exists: true,
    events,
    firstBad: { chain, seq: Number(row.seq), id: row.id, problem },
  });
  for (;;) {
    const rows = await repo.listChainRows(conn, chain, after, VERIFY_PAGE);
    for (const row of rows) {
      if (row.seq !== expected) return bad(row, 'gap_or_reorder');
      if (row.prev_hash !== prev) {
        // Linking to another real row of this chain means rows were moved or one was slipped in;
        // linking to nothing means the row before it was altered (or the link itself was).
        const linked = await repo.findRowByHash(conn, chain, row.prev_hash);
        return bad(row, linked ? 'gap_or_reorder' : 'broken_link');
      }
      if (auditHash(row) !== row.hash) return bad(row, 'hash_mismatch');
      events++;
      expected++;
      prev = row.hash;
      last = row;
    }
    after = expected - 1;
    if (rows.length === VERIFY_PAGE) continue;
    // The head is read after the rows and is written in the same transaction as each row, so it
    // covers at least every row read. A head further on means rows were appended meanwhile (read
    // them too) or rows were cut from the end (nothing more to read).
    const head = await repo.findHead(conn, chain);
    if (!head && !last) return { exists: false, events };
    if (head && Number(head.last_seq) === after && head.last_hash === prev) return { exists: true, events };
    if (head && Number(head.last_seq) > after) {
      if ((await repo.listChainRows(conn, chain, after, 1)).length > 0) continue;
    }
    return last ? bad(last, 'head_mismatch') : bad({ id: '', seq: 0 }, 'head_mismatch');
  }
}

/**
 * Walks every chain (or one) in seq order, recomputing each row's hash and link, checking that
 * seq runs 1, 2, 3… without a gap and that the head table ends where the chain ends. Stops at the
 * first bad row and names it:
 * - `hash_mismatch`: the row's content no longer matches its hash (a field was edited);
 * - `broken_link`: the row's `prev_hash` is not the previous row's hash, nor any row's (the row
 *   before it was edited and re-hashed, or the link was edited);
 * - `gap_or_reorder`: a seq is missing or out of place (a row deleted, moved, or slipped in);
 * - `head_mismatch`: the chain does not end where `audit_chains` says (a row cut from, or forged
 *   onto, the end); the row named is the last one present (seq 0 and an empty id when none is).
 * Read-only: it can run against a copy or a restored backup. Safe while appends go on.
 */
export async function verifyAuditChains(conn: Conn, opts: { chain?: string } = {}): Promise<AuditVerification> {
  const names = opts.chain === undefined ? await repo.listChainNames(conn) : [opts.chain];
  let chains = 0;
  let events = 0;
  for (const chain of names) {
    const r = await verifyChain(conn, chain);
    if (!r.exists) continue;
    chains++;
    events += r.events;
    if (r.firstBad) return { ok: false, chains, events, firstBad: r.firstBad };
  }
  return { ok: true, chains, events };
}

/** Who may read the audit log: a merchant's owner, its acquirer's reviewers, the platform. */
export const auditReaders = ['merchant_owner', 'acquirer_reviewer', 'platform_admin'] as const satisfies Role[];

/** The chains `actor` may read, narrowed to `merchantId` when given; undefined means all. */
async function readableChains(conn: Conn, actor: Actor, merchantId?: string): Promise<string[] | undefined> {
  if (!(auditReaders as readonly Role[]).includes(actor.role)) throw forbidden('your role may not read the audit log');
  if (merchantId === PLATFORM_CHAIN) {
    if (actor.role !== 'platform_admin') throw notFound('merchant');
    return [PLATFORM_CHAIN];
  }
  if (merchantId !== undefined) {
    const m = await findMerchant(conn, merchantId);
    if (!m || !canSeeMerchant(actor, { merchantId: m.id, acquirerId: m.acquirerId })) throw notFound('merchant');
    return [m.id];
  }
  return visibleMerchantIds(conn, actor);
}

function isoBound(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw notIsoDateTime(name);
  // Stored times are toISOString() text; compare like with like (no offset, always milliseconds).
  return d.toISOString();
}

/**
 * Lists audit events newest first (`from` inclusive, `to` exclusive), scoped to what `actor` may
 * see: an owner its merchant, a reviewer its acquirer's merchants, an admin everything including
 * the platform chain (`merchantId: 'platform'`). The read is itself recorded, on the platform
 * chain, as `audit_log.viewed` (PCI DSS 10.2.1.3: all access to audit logs is logged).
 * @throws forbidden (other roles), not_found (a merchant the actor may not see), validation_failed
 */
export async function listAuditEvents(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  q: {
    limit: number;
    cursor?: string;
    merchantId?: string;
    action?: string;
    objectId?: string;
    from?: string;
    to?: string;
  },
): Promise<Page<AuditEvent>> {
  const chains = await readableChains(db.kysely, actor, q.merchantId);
  const rows = await repo.listEventRows(db.kysely, {
    chains,
    action: q.action,
    objectId: q.objectId,
    from: isoBound('from', q.from),
    to: isoBound('to', q.to),
    before: q.cursor,
    limit: q.limit + 1,
  });
  const page = pageOf(rows, q.limit, repo.auditRowToEvent);
  // Filters are typed by people: one holding a card number is left out of the record, not refused.
  const filter = (v: string | undefined) => (v === undefined || containsPan(v) ? undefined : v);
  await recordAuditNow(db, ctx, {
    merchantId: null,
    actor: { kind: actor === systemActor ? 'system' : actor.kind, id: actor.id, ip: actor.ip },
    action: 'audit_log.viewed',
    outcome: 'success',
    objectType: 'audit_log',
    objectId: q.merchantId === undefined ? undefined : filter(q.merchantId),
    details: {
      merchantId: filter(q.merchantId),
      action: filter(q.action),
      objectId: filter(q.objectId),
      from: filter(q.from),
      to: filter(q.to),
      returned: page.data.length,
    },
  });
  return page;
}
