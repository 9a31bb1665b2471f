import { afterAll, beforeAll, expect } from 'vitest';
import { type EngineName, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { ManualClock } from '../clock.js';
import { loadConfig } from '../config.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { openContext } from '../runtime.js';
import { recordAuditNow, verifyAuditChains } from './audit.service.js';
import type { AuditEventTable } from './audit.tables.js';
import type { AuditInput } from './audit-event.js';

export interface AuditLog {
  database: Db;
  ctx: AppContext;
}

/**
 * For a describe block testing the audit chains: a migrated database of its own on `engine` (no
 * demo), opened before the block's first test and dropped after its last; `use` receives it.
 * Returns the block's clock and what its tests share.
 */
export function useAuditLog(engine: EngineName, use: (log: AuditLog) => void) {
  let tdb: ThrowawayDatabase | undefined;
  let log: AuditLog | undefined;
  const clock = new ManualClock('2026-03-02T08:00:00.000Z');
  let n = 0;

  beforeAll(async () => {
    tdb = await throwawayDatabase(engine);
    const config = { ...loadConfig({}), databaseUrl: tdb.url, logLevel: 'silent', worker: false, seedDemo: false };
    const { db: database, ctx } = await openContext(config, clock);
    log = { database, ctx };
    use(log);
  });
  afterAll(async () => {
    await log?.database.close();
    await tdb?.drop();
  });
  const opened = () => log as AuditLog;
  const db = () => opened().database.kysely;

  /** A fresh chain name per test, so tampering in one test never shows in another. */
  const freshChain = () => `mer_test${engine}${++n}`;

  const event = (merchantId: string | null, i: number, over: Partial<AuditInput> = {}): AuditInput => ({
    merchantId,
    actor: { kind: 'user', id: `usr_${i}` },
    action: 'refund.status_changed',
    outcome: 'success',
    objectType: 'refund',
    objectId: `re_${i}`,
    terminalId: 'trm_1',
    ip: '10.0.0.1',
    details: { from: 'pending_acquirer', to: 'processing', i },
    ...over,
  });

  const rowsOf = async (chain: string): Promise<AuditEventTable[]> =>
    (await db().selectFrom('audit_events').selectAll().where('chain', '=', chain).orderBy('seq').execute()).map(
      (r) => ({ ...r, seq: Number(r.seq) }),
    );

  const chainOfFive = async () => {
    const chain = freshChain();
    for (let i = 1; i <= 5; i++) await recordAuditNow(opened().database, opened().ctx, event(chain, i));
    const rows = await rowsOf(chain);
    expect((await verifyAuditChains(db(), { chain })).ok).toBe(true);
    return { chain, rows };
  };

  return { clock, db, freshChain, event, rowsOf, chainOfFive };
}
