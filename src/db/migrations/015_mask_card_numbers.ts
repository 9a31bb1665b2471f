import type { Kysely } from 'kysely';
import { sha256Hex } from '../../crypto/sha256.js';
import { canonicalJson } from '../../disputes/case-file.js';
import { maskPans } from '../../payments/card.js';

// Issue 8 #2 (PCI DSS 3.3–3.5): card numbers typed into free text before the schemas masked them
// are masked in place with the same rule (first 6 + last 4). JSON columns are masked value by
// value, so a number (epoch milliseconds) is never mistaken for a card number and the JSON stays
// valid; a case file gets its SHA-256 recomputed over the masked content. The audit log needs
// nothing: it has always refused a record holding a card number (and its hash chain must not move).
// After this migration, migrate.ts makes the old bytes leave the files (see scrubAfter there).

/** Free-text columns, each table keyed by `id`. */
export const proseColumns = {
  refunds: ['note', 'description', 'decision_reason', 'failure_reason'],
  refund_events: ['note'],
  payments: ['failure_reason'],
  disputes: ['description', 'escalation_reason', 'ruling', 'rating_comment'],
  dispute_events: ['note'],
  dispute_messages: ['body'],
  dispute_attachments: ['filename'],
  notifications: ['subject', 'body', 'last_error'],
  webhook_endpoints: ['description'],
  webhook_deliveries: ['last_error'],
  jobs: ['last_error'],
} as const;

/** JSON columns: every string inside is masked. */
export const jsonColumns = {
  webhook_deliveries: ['payload'],
  jobs: ['payload'],
  idempotency_keys: ['response_body'],
} as const;

/** Every table this migration may rewrite: the ones whose old bytes must then be scrubbed. */
export const maskedTables = [
  ...new Set([...Object.keys(proseColumns), ...Object.keys(jsonColumns), 'dispute_case_files']),
];

export function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return maskPans(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)]));
  }
  return value;
}

function maskJson(text: string): string {
  try {
    return JSON.stringify(maskDeep(JSON.parse(text)));
  } catch {
    return maskPans(text); // not JSON after all: mask it as text
  }
}

type Row = Record<string, string | null>;

async function maskColumns(
  db: Kysely<unknown>,
  table: string,
  columns: readonly string[],
  mask: (s: string) => string,
) {
  const k = db as unknown as Kysely<Record<string, Row>>;
  const key = table === 'idempotency_keys' ? ['scope', 'key'] : ['id'];
  const rows = await k
    .selectFrom(table)
    .select([...key, ...columns] as never[])
    .execute();
  for (const row of rows as Row[]) {
    const set: Row = {};
    for (const c of columns) {
      const v = row[c];
      if (typeof v !== 'string' || !/\d{4}/.test(v)) continue;
      const masked = mask(v);
      if (masked !== v) set[c] = masked;
    }
    if (Object.keys(set).length === 0) continue;
    let q = k.updateTable(table).set(set as never);
    for (const kc of key) q = q.where(kc as never, '=', row[kc] as never);
    await q.execute();
  }
}

async function maskCaseFiles(db: Kysely<unknown>) {
  const k = db as unknown as Kysely<{ dispute_case_files: { id: string; sha256: string; content: string } }>;
  const rows = await k.selectFrom('dispute_case_files').select(['id', 'content']).execute();
  for (const row of rows) {
    const file = JSON.parse(row.content) as { content: unknown; sha256: string };
    const content = maskDeep(file.content);
    const sha256 = sha256Hex(canonicalJson(content));
    if (sha256 === file.sha256) continue;
    await k
      .updateTable('dispute_case_files')
      .set({ sha256, content: JSON.stringify({ ...file, content, sha256 }) })
      .where('id', '=', row.id)
      .execute();
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, columns] of Object.entries(proseColumns)) await maskColumns(db, table, columns, maskPans);
  for (const [table, columns] of Object.entries(jsonColumns)) await maskColumns(db, table, columns, maskJson);
  await maskCaseFiles(db);
}

// The clear numbers are gone for good: there is nothing to restore.
export async function down(): Promise<void> {}
