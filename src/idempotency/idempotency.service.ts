import { DAY } from '../clock.js';
import type { AppContext } from '../context.js';
import { keyedHash } from '../crypto/keyed-hash.js';
import type { Db } from '../db/connect.js';
import { type Conn, isUniqueViolation, type Tx, transaction } from '../db/transaction.js';
import { idempotencyConflict } from './idempotency.errors.js';
import * as repo from './idempotency.repository.js';

/** Keys are kept this long (Stripe keeps 24 h; we keep two days so a day-late retry still replays). */
export const IDEMPOTENCY_RETENTION_MS = 2 * DAY;

export interface IdempotencyRequest {
  /** Whose key space: the merchant (or, for platform users, the user). */
  scope: string;
  key: string;
  /** What the request was: method, path and body, minus secrets. */
  fingerprint: unknown;
}

export interface Idempotent<T> {
  value: T;
  replayed: boolean;
}

/**
 * A keyed hash (HMAC-SHA256 under the server's secret key, which is not in the database): the
 * fingerprint of a sale holds the card number, and a plain SHA-256 of it could be reversed by trying
 * the 10^5 Luhn-valid numbers between the stored BIN and last 4 (PCI DSS 3.5.1.1).
 */
function hashOf(ctx: AppContext, fingerprint: unknown): string {
  return keyedHash(ctx.config, 'idempotency-fingerprints', JSON.stringify(fingerprint)).toString('hex');
}

function replay<T>(row: { request_hash: string; response_body: string }, requestHash: string): Idempotent<T> {
  if (row.request_hash !== requestHash) throw idempotencyConflict();
  return { value: JSON.parse(row.response_body) as T, replayed: true };
}

/**
 * Runs `work` in one transaction and, when a key is given, stores its result under that key in the
 * same transaction: the work and the key commit together or not at all. A second request with the
 * same key gets the stored result back; with a different body, `idempotency_conflict`. Twins that
 * race queue on a lock of the key (see `lockKey`), so the work runs once and the others replay it;
 * should one still lose on the key's unique index, its whole transaction rolls back and it replays
 * the winner's result. Failures are not stored: a retry after a 4xx runs again.
 */
export async function idempotentTransaction<T>(
  db: Db,
  ctx: AppContext,
  req: IdempotencyRequest | undefined,
  work: (trx: Tx) => Promise<T>,
): Promise<Idempotent<T>> {
  if (!req) return { value: await transaction(db, work), replayed: false };
  const requestHash = hashOf(ctx, req.fingerprint);
  try {
    return await transaction(db, async (trx) => {
      await repo.lockKey(trx, req.scope, req.key);
      const existing = await repo.findKey(trx, req.scope, req.key);
      if (existing) return replay<T>(existing, requestHash);
      const value = await work(trx);
      await repo.insertKey(trx, {
        scope: req.scope,
        key: req.key,
        request_hash: requestHash,
        status_code: 201,
        response_body: JSON.stringify(value),
        created_at: ctx.clock.now().toISOString(),
      });
      return { value, replayed: false };
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const winner = await repo.findKey(db.kysely, req.scope, req.key);
    if (!winner) throw e;
    return replay<T>(winner, requestHash);
  }
}

/**
 * The answer already stored under this key, if any. For services that do work before their
 * transaction (a refund-password check): a retry replays the first answer without it, so a
 * password changed since, or a state the first request moved on, cannot fail the replay. Twins
 * that both get past it still meet in `idempotentTransaction`.
 * @throws idempotency_conflict
 */
export async function findReplay<T>(
  conn: Conn,
  ctx: AppContext,
  req: IdempotencyRequest | undefined,
): Promise<Idempotent<T> | undefined> {
  if (!req) return undefined;
  const row = await repo.findKey(conn, req.scope, req.key);
  return row ? replay<T>(row, hashOf(ctx, req.fingerprint)) : undefined;
}

export async function purgeExpiredKeys(tx: Tx, ctx: AppContext): Promise<number> {
  const before = new Date(ctx.clock.now().getTime() - IDEMPOTENCY_RETENTION_MS).toISOString();
  return repo.deleteKeysBefore(tx, before);
}
