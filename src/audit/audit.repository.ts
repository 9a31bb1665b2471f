import type { AuditChainTable, AuditEventTable } from '../audit/audit.tables.js';
import { insertRows, prepare } from '../db/prepared.js';
import type { Conn, Tx } from '../db/transaction.js';
import { type AuditEvent, type AuditOutcome, GENESIS_HASH, PLATFORM_CHAIN } from './audit-event.js';

/** `details` is JSON written by us; a row edited by hand into something else still lists. */
function parseDetails(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { unparseable: true };
  }
}

export function auditRowToEvent(row: AuditEventTable): AuditEvent {
  return {
    id: row.id,
    chain: row.chain,
    merchantId: row.chain === PLATFORM_CHAIN ? null : row.chain,
    seq: Number(row.seq),
    at: row.at,
    actor: { kind: row.actor_kind, id: row.actor_id },
    action: row.action,
    outcome: row.outcome as AuditOutcome,
    objectType: row.object_type,
    objectId: row.object_id,
    terminalId: row.terminal_id,
    ip: row.ip,
    details: parseDetails(row.details),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Claims the next `count` seqs of `chain`: returns the first with the hash of the row before it.
 * One statement either creates the head row (the chain's first events) or moves it on; on
 * PostgreSQL the upsert takes the head row's lock, held to the end of the caller's transaction, so
 * appends to one chain serialise there while other chains proceed; on SQLite BEGIN IMMEDIATE
 * already serialises. A concurrent first append waits on the unique key, then takes the update path.
 */
export async function claimSeqs(trx: Tx, chain: string, count: number): Promise<{ seq: number; prevHash: string }> {
  const row = await nextSeqs.first(trx, { chain, count });
  if (!row) throw new Error(`audit chain ${chain}: no head row returned`);
  return { seq: Number(row.last_seq) - count + 1, prevHash: row.last_hash };
}
const nextSeqs = prepare((c, v: { chain: string; count: number }) =>
  c
    .insertInto('audit_chains')
    .values({ chain: v.chain, last_seq: v.count, last_hash: GENESIS_HASH })
    .onConflict((oc) =>
      oc.column('chain').doUpdateSet((eb) => ({ last_seq: eb('audit_chains.last_seq', '+', v.count) })),
    )
    .returning(['last_seq', 'last_hash']),
);

export async function setHeadHash(trx: Tx, chain: string, seq: number, hash: string): Promise<void> {
  if ((await headHashSet.changed(trx, { chain, seq, hash })) !== 1)
    throw new Error(`audit chain ${chain} head moved during an append`);
}
const headHashSet = prepare((c, v: { chain: string; seq: number; hash: string }) =>
  c.updateTable('audit_chains').set({ last_hash: v.hash }).where('chain', '=', v.chain).where('last_seq', '=', v.seq),
);

/** Appends rows of one chain, in seq order. */
export async function insertEvents(trx: Tx, rows: AuditEventTable[]): Promise<void> {
  await insertRows(trx, 'audit_events', rows);
}

/** Every chain that has a head or any event (a chain with only one of them is itself tampering). */
export async function listChainNames(conn: Conn): Promise<string[]> {
  const rows = await conn
    .selectFrom('audit_chains')
    .select('chain')
    .union(conn.selectFrom('audit_events').select('chain').distinct())
    .orderBy('chain')
    .execute();
  return rows.map((r) => r.chain);
}

export async function findHead(conn: Conn, chain: string): Promise<AuditChainTable | undefined> {
  return conn.selectFrom('audit_chains').selectAll().where('chain', '=', chain).executeTakeFirst();
}

/** A page of one chain in seq order, after `afterSeq` (null: from the very first, whatever its seq). */
export async function listChainRows(
  conn: Conn,
  chain: string,
  afterSeq: number | null,
  limit: number,
): Promise<AuditEventTable[]> {
  let q = conn.selectFrom('audit_events').selectAll().where('chain', '=', chain);
  if (afterSeq !== null) q = q.where('seq', '>', afterSeq);
  const rows = await q.orderBy('seq').limit(limit).execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/** The row of `chain` whose hash is `hash`, if any: tells a moved row from a broken link. */
export async function findRowByHash(
  conn: Conn,
  chain: string,
  hash: string,
): Promise<Pick<AuditEventTable, 'id' | 'seq'> | undefined> {
  return conn
    .selectFrom('audit_events')
    .select(['id', 'seq'])
    .where('chain', '=', chain)
    .where('hash', '=', hash)
    .executeTakeFirst();
}

export interface AuditPage {
  /** Restrict to these chains; an empty list matches nothing; undefined means every chain. */
  chains?: readonly string[];
  action?: string;
  objectId?: string;
  /** Inclusive lower bound on `at`. */
  from?: string;
  /** Exclusive upper bound on `at`. */
  to?: string;
  before?: string;
  limit: number;
}

export async function listEventRows(conn: Conn, p: AuditPage): Promise<AuditEventTable[]> {
  if (p.chains && p.chains.length === 0) return [];
  let q = conn.selectFrom('audit_events').selectAll();
  if (p.chains) q = p.chains.length === 1 ? q.where('chain', '=', p.chains[0]) : q.where('chain', 'in', p.chains);
  if (p.action) q = q.where('action', '=', p.action);
  if (p.objectId) q = q.where('object_id', '=', p.objectId);
  if (p.from) q = q.where('at', '>=', p.from);
  if (p.to) q = q.where('at', '<', p.to);
  if (p.before) q = q.where('id', '<', p.before);
  const rows = await q.orderBy('id', 'desc').limit(p.limit).execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}
