import { FIRST_TERMINAL_NO } from '../db/migrations/021_terminal_journal.js';
import { type Conn, hasRowLocks, type Tx } from '../db/transaction.js';
import type { TerminalTable } from '../terminals/terminal.tables.js';
import type { Terminal } from './terminal.js';

type TerminalRow = TerminalTable & { acquirer_id: string };

export function terminalRowToTerminal(r: TerminalRow): Terminal {
  return {
    id: r.id,
    serial: r.serial,
    terminalNo: r.terminal_no,
    merchantId: r.merchant_id,
    agentId: r.agent_id,
    acquirerId: r.acquirer_id,
    status: r.status === 'disabled' ? 'disabled' : 'active',
    createdAt: r.created_at,
  };
}

function selectTerminals(conn: Conn) {
  return conn
    .selectFrom('terminals')
    .innerJoin('merchants', 'merchants.id', 'terminals.merchant_id')
    .selectAll('terminals')
    .select('merchants.acquirer_id');
}

export async function findTerminalRow(conn: Conn, id: string): Promise<TerminalRow | undefined> {
  return selectTerminals(conn).where('terminals.id', '=', id).executeTakeFirst();
}

export async function findTerminalRowBySerial(conn: Conn, serial: string): Promise<TerminalRow | undefined> {
  return selectTerminals(conn).where('terminals.serial', '=', serial).executeTakeFirst();
}

export interface TerminalFilter {
  merchantId?: string;
  agentId?: string;
  acquirerId?: string;
  terminalId?: string;
}

/** Newest first; `before` pages on from a terminal id. */
export async function listTerminalRows(
  conn: Conn,
  f: TerminalFilter & { before?: string; limit: number },
): Promise<TerminalRow[]> {
  let q = selectTerminals(conn);
  if (f.merchantId) q = q.where('terminals.merchant_id', '=', f.merchantId);
  if (f.agentId) q = q.where('terminals.agent_id', '=', f.agentId);
  if (f.acquirerId) q = q.where('merchants.acquirer_id', '=', f.acquirerId);
  if (f.terminalId) q = q.where('terminals.id', '=', f.terminalId);
  if (f.before) q = q.where('terminals.id', '<', f.before);
  return q.orderBy('terminals.id', 'desc').limit(f.limit).execute();
}

/** Inserts a terminal under the next free 终端编号 and returns it (a concurrent insert taking it first: the next). */
export async function insertTerminal(conn: Conn, row: Omit<TerminalTable, 'terminal_no'>): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const last = await conn
      .selectFrom('terminals')
      .select((eb) => eb.fn.max('terminal_no').as('n'))
      .executeTakeFirst();
    const terminalNo = String(last?.n ? Number(last.n) + 1 : FIRST_TERMINAL_NO);
    const r = await conn
      .insertInto('terminals')
      .values({ ...row, terminal_no: terminalNo })
      .onConflict((oc) => oc.column('terminal_no').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 1) return terminalNo;
  }
  throw new Error('no free terminal no. after 5 draws');
}

/** Swaps the stored unlock key, only if it is still `from` (a legacy plain key being sealed). */
export async function replaceUnlockSecret(conn: Conn, id: string, from: string, to: string): Promise<void> {
  await conn
    .updateTable('terminals')
    .set({ unlock_secret: to })
    .where('id', '=', id)
    .where('unlock_secret', '=', from)
    .execute();
}

/**
 * Locks the terminal's row (PostgreSQL): a sale takes it `share`, a re-initialisation `update`, so
 * the two never overlap. SQLite's write lock already serialises them. Returns whether it exists.
 */
export async function lockTerminalRow(trx: Tx, id: string, mode: 'share' | 'update'): Promise<boolean> {
  const q = trx.selectFrom('terminals').select('id').where('id', '=', id);
  const row = await (!hasRowLocks(trx) ? q : mode === 'share' ? q.forShare() : q.forUpdate()).executeTakeFirst();
  return row !== undefined;
}

export async function setUnlockSecret(trx: Tx, id: string, sealed: string): Promise<void> {
  await trx.updateTable('terminals').set({ unlock_secret: sealed }).where('id', '=', id).execute();
}
