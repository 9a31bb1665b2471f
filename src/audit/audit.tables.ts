/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
/** Append-only, hash-chained (src/audit/). `chain` is a merchant id or 'platform'. */
export interface AuditEventTable {
  id: string;
  chain: string;
  seq: number;
  at: string;
  actor_kind: string;
  actor_id: string | null;
  action: string;
  outcome: string;
  object_type: string | null;
  object_id: string | null;
  terminal_id: string | null;
  ip: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** One row per audit chain: its head, on which appends to that chain serialise. */
export interface AuditChainTable {
  chain: string;
  last_seq: number;
  last_hash: string;
}
