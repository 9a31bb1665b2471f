import { randomBytes } from 'node:crypto';
import type { Actor } from '../auth/actor.js';
import { canSeeTerminal, merchantListScope } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import { openSecret, sealSecret } from '../crypto/seal.js';
import type { Db } from '../db/connect.js';
import { type Page, pageOf } from '../db/page.js';
import { type Conn, isUniqueViolation, type Tx } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as merchants from '../merchants/merchant.service.js';
import { hitRateLimit } from '../ratelimit/rate-limit.js';
import { purposeKey } from '../secret-key.js';
import { terminalSerialExists } from './terminal.errors.js';
import type { Terminal } from './terminal.js';
import * as repo from './terminal.repository.js';

/** @throws not_found (merchant or agent), already_exists (serial taken) */
export async function createTerminal(
  tx: Tx,
  ctx: AppContext,
  input: { serial: string; merchantId: string; agentId: string },
): Promise<Terminal> {
  const merchant = await merchants.findMerchant(tx, input.merchantId);
  if (!merchant) throw notFound('merchant');
  const id = newId('trm');
  const row = {
    id,
    serial: input.serial,
    merchant_id: input.merchantId,
    agent_id: input.agentId,
    status: 'active',
    // The per-terminal key behind agent unlock codes; also loaded into the terminal at install.
    unlock_secret: sealUnlockKey(ctx, id, randomBytes(32).toString('hex')),
    created_at: nowIso(ctx),
  };
  let terminalNo: string;
  try {
    terminalNo = await repo.insertTerminal(tx, row);
  } catch (e) {
    if (isUniqueViolation(e)) throw terminalSerialExists(input.serial);
    if (String(e).includes('FOREIGN KEY') || (e as { code?: string }).code === '23503') throw notFound('agent');
    throw e;
  }
  return repo.terminalRowToTerminal({
    ...row,
    terminal_no: terminalNo,
    acquirer_id: merchant.acquirerId,
  });
}

/** Unscoped: for other services, which check access against the object they act on. */
export async function findTerminal(conn: Conn, id: string): Promise<Terminal | undefined> {
  const row = await repo.findTerminalRow(conn, id);
  return row ? repo.terminalRowToTerminal(row) : undefined;
}

export async function findTerminalBySerial(conn: Conn, serial: string): Promise<Terminal | undefined> {
  const row = await repo.findTerminalRowBySerial(conn, serial);
  return row ? repo.terminalRowToTerminal(row) : undefined;
}

/**
 * What a terminal's own screen shows about itself, for a browser that is being made that terminal
 * (终端号 typed or in the URL): the id its operators log in at, the serial and the merchant's name.
 * Public, as the serial is printed on the device; rate-limited per address against enumeration.
 * @throws not_found (unknown or disabled serial), rate_limited
 */
export async function getPublicTerminal(
  db: Db,
  ctx: AppContext,
  ip: string,
  serial: string,
): Promise<{ id: string; serial: string; merchantName: string }> {
  await hitRateLimit(db, ctx, `terminal-lookup:ip:${ip}`, 60, 10 * 60_000);
  const t = await findTerminalBySerial(db.kysely, serial);
  const merchant = t?.status === 'active' ? await merchants.findMerchant(db.kysely, t.merchantId) : undefined;
  if (!t || !merchant) throw notFound('terminal');
  return { id: t.id, serial: t.serial, merchantName: merchant.name };
}

/** @throws not_found when absent or outside the actor's reach (no existence leak). */
export async function getTerminal(conn: Conn, actor: Actor, id: string): Promise<Terminal> {
  const t = await findTerminal(conn, id);
  if (!t || !canSeeTerminal(actor, { ...t, terminalId: t.id })) throw notFound('terminal');
  return t;
}

/** The terminals the actor may see: a merchant's people (operators too) the merchant's, an agent those it serves, an acquirer its merchants'. */
/** The terminals the actor may see, newest first, a page at a time. */
export async function listTerminals(
  conn: Conn,
  actor: Actor,
  page: { limit: number; cursor?: string },
): Promise<Page<Terminal>> {
  // An agent's staff reach the terminals they serve; everyone else follows merchant scoping.
  const filter: repo.TerminalFilter | null =
    actor.role === 'agent_staff' ? { agentId: actor.agentId ?? '-' } : merchantListScope(actor);
  if (!filter) return { data: [], nextCursor: null };
  const rows = await repo.listTerminalRows(conn, { ...filter, before: page.cursor, limit: page.limit + 1 });
  return pageOf(rows, page.limit, repo.terminalRowToTerminal);
}

/**
 * Unlock keys are stored sealed (AES-256-GCM under the server's secret key, the terminal id as
 * AAD): whoever reads the database alone cannot mint unlock codes, and a key copied onto another
 * terminal's row does not open there.
 */
function sealUnlockKey(ctx: AppContext, terminalId: string, keyHex: string): string {
  return sealSecret(purposeKey(ctx.config, 'terminal-unlock-keys'), keyHex, terminalId);
}

/** A key stored before keys were sealed (an old demo database): 32 bytes in plain hex. */
const LEGACY_PLAIN_KEY = /^[0-9a-f]{64}$/;

/**
 * The per-terminal key behind agent unlock codes (hex); for the recovery service only, never
 * returned. A legacy plain key is sealed on this first read and returned.
 * @throws Error (a 500: configuration, not input) when the stored key does not open: SECRET_KEY or
 *   secret.key changed, or the value was copied from another terminal's row.
 */
export async function findTerminalUnlockKey(conn: Conn, ctx: AppContext, id: string): Promise<string | undefined> {
  const row = await repo.findTerminalRow(conn, id);
  const stored = row?.unlock_secret;
  if (!stored) return undefined;
  if (LEGACY_PLAIN_KEY.test(stored)) {
    await repo.replaceUnlockSecret(conn, id, stored, sealUnlockKey(ctx, id, stored));
    return stored;
  }
  try {
    return openSecret(purposeKey(ctx.config, 'terminal-unlock-keys'), stored, id);
  } catch (e) {
    throw new Error(`the unlock key of terminal ${id} does not open: ${(e as Error).message}`);
  }
}

/**
 * Holds the terminal against a re-initialisation for the rest of the transaction: a sale takes it
 * `share` (sales do not wait on each other), a re-initialisation `update`. PostgreSQL row lock;
 * SQLite's write lock already serialises. @throws not_found
 */
export async function lockTerminal(trx: Tx, id: string, mode: 'share' | 'update'): Promise<void> {
  if (!(await repo.lockTerminalRow(trx, id, mode))) throw notFound('terminal');
}

/** A new unlock key (a re-initialisation): codes made from the old one stop working. */
export async function rotateUnlockKey(trx: Tx, ctx: AppContext, id: string): Promise<void> {
  await repo.setUnlockSecret(trx, id, sealUnlockKey(ctx, id, randomBytes(32).toString('hex')));
}
