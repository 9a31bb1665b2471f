import type { AuditEventTable } from '../audit/audit.tables.js';
import { sha256Hex } from '../crypto/sha256.js';
import { containsPan } from '../payments/card.js';

/** The audit log's card-number test is the card module's: one rule for what a PAN is. */
export { containsPan };

/**
 * The audit log (PCI DSS 10.2): one append-only, hash-chained sequence of events per merchant, and
 * one for the platform. Each row carries the hash of the previous row of its chain, so editing,
 * deleting, reordering or forging a row breaks the chain where it happened. This file holds the
 * types and the pure rules: the canonical serialisation, the hash, and the guard that keeps
 * secrets and card numbers out of `details`.
 */

/** The chain of events that belong to no merchant (platform users, acquirers, agents, logins). */
export const PLATFORM_CHAIN = 'platform';
/** `prev_hash` of the first row of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

export const auditOutcomes = ['success', 'failure'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/** What other domains hand to `recordAudit`. `merchantId: null` writes to the platform chain. */
export interface AuditInput {
  merchantId: string | null;
  /** Who; `ip`, where known, is where they acted from (the row's `ip` unless `ip` is given). */
  actor: { kind: string; id: string | null; ip?: string | null };
  action: string;
  outcome: 'success' | 'failure';
  objectType?: string;
  objectId?: string;
  terminalId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** One event as the API and the CLI show it. */
export interface AuditEvent {
  id: string;
  chain: string;
  /** The merchant the event belongs to; null on the platform chain. */
  merchantId: string | null;
  seq: number;
  at: string;
  actor: { kind: string; id: string | null };
  action: string;
  outcome: AuditOutcome;
  objectType: string | null;
  objectId: string | null;
  terminalId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const auditProblems = ['hash_mismatch', 'broken_link', 'gap_or_reorder', 'head_mismatch'] as const;
export type AuditProblem = (typeof auditProblems)[number];

export interface AuditVerification {
  ok: boolean;
  chains: number;
  events: number;
  firstBad?: { chain: string; seq: number; id: string; problem: AuditProblem };
}

/** The fields the hash covers, as stored (`details` is the stored JSON text, byte for byte). */
export type HashedFields = Omit<AuditEventTable, 'hash'>;

/**
 * A JSON array in a fixed field order: unambiguous (no delimiter can be smuggled through a field),
 * identical on every engine and Node version, and easy to recompute in any language. The row id is
 * covered too, so that no column of a row can be edited unnoticed. The leading tag versions the
 * format.
 */
export function canonicalAuditRecord(f: HashedFields): string {
  return JSON.stringify([
    'refunddesk.audit.v1',
    f.id,
    f.chain,
    f.seq,
    f.at,
    f.actor_kind,
    f.actor_id,
    f.action,
    f.outcome,
    f.object_type,
    f.object_id,
    f.terminal_id,
    f.ip,
    f.details,
    f.prev_hash,
  ]);
}

/** SHA-256 (hex) of the canonical record. */
export function auditHash(f: HashedFields): string {
  return sha256Hex(canonicalAuditRecord(f));
}

/** Re-exported: audit `details` are stored as canonical JSON (src/crypto/canonical-json.ts). */
export { canonicalJson } from '../crypto/canonical-json.js';

export function chainOf(merchantId: string | null): string {
  return merchantId ?? PLATFORM_CHAIN;
}

/**
 * A caller tried to write something into the audit log that must never be stored there. This is a
 * bug in the caller, not an expected outcome: it is a plain Error (HTTP 500) and the caller's
 * transaction rolls back. The message names the offending path, never the value.
 */
export class UnsafeAuditRecordError extends Error {
  readonly path: string;
  constructor(path: string, why: string) {
    super(`audit ${path} refused: ${why}`);
    this.name = 'UnsafeAuditRecordError';
    this.path = path;
  }
}

// Key words that name a secret or a card number. Matched against the key's words
// (camelCase, snake_case, kebab-case and dots split), plus substrings that are secrets whatever
// surrounds them. `code` is refused on purpose: one-time, unlock and verification codes are
// secrets, and a harmless code (a decline code) can be logged as `declineReason` instead.
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'secret',
  'code',
  'token',
  'pan',
  'pin',
  'cvv',
  'cvc',
  'otp',
]);
const SECRET_SUBSTRINGS = ['password', 'passwd', 'secret', 'token', 'passcode', 'cardnumber', 'cardno'];

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  const joined = words.join('');
  return SECRET_SUBSTRINGS.some((s) => joined.includes(s));
}

/**
 * Refuses details that could hold a secret or a full card number (PCI DSS 3.3, 10.3): keys named
 * like a password, secret, code, token, PAN or card number, at any depth, and any string or number
 * value that looks like a full PAN. @throws UnsafeAuditRecordError
 */
export function assertSafeDetails(details: unknown, path = 'details'): void {
  if (typeof details === 'string') {
    if (containsPan(details)) throw new UnsafeAuditRecordError(path, 'the value looks like a full card number');
    return;
  }
  if (typeof details === 'number' || typeof details === 'bigint') {
    if (containsPan(String(details))) throw new UnsafeAuditRecordError(path, 'the value looks like a full card number');
    return;
  }
  if (Array.isArray(details)) {
    details.forEach((v, i) => {
      assertSafeDetails(v, `${path}[${i}]`);
    });
    return;
  }
  if (details !== null && typeof details === 'object') {
    for (const [k, v] of Object.entries(details)) {
      if (containsPan(k)) throw new UnsafeAuditRecordError(path, 'a key looks like a full card number');
      if (isSecretKey(k)) throw new UnsafeAuditRecordError(`${path}.${k}`, 'the key names a secret or a card number');
      assertSafeDetails(v, `${path}.${k}`);
    }
  }
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * Checks an input before it is written: a dotted lower-case action (`refund.status_changed`), a
 * known outcome, no card number in any free-text field, safe details.
 * @throws UnsafeAuditRecordError (also for a malformed action or outcome: both are caller bugs)
 */
export function assertValidAuditInput(input: AuditInput): void {
  if (!ACTION.test(input.action) || input.action.length > 100) {
    throw new UnsafeAuditRecordError('action', 'expected a dotted lower-case name such as refund.status_changed');
  }
  if (!(auditOutcomes as readonly string[]).includes(input.outcome)) {
    throw new UnsafeAuditRecordError('outcome', `expected one of ${auditOutcomes.join(', ')}`);
  }
  const texts: Array<[string, string | null | undefined]> = [
    ['merchantId', input.merchantId],
    ['actor.kind', input.actor.kind],
    ['actor.id', input.actor.id],
    ['objectType', input.objectType],
    ['objectId', input.objectId],
    ['terminalId', input.terminalId],
    ['ip', input.ip],
    ['actor.ip', input.actor.ip],
  ];
  for (const [path, v] of texts) {
    if (v != null && containsPan(v)) throw new UnsafeAuditRecordError(path, 'the value looks like a full card number');
  }
  if (input.details !== undefined) assertSafeDetails(input.details);
}
