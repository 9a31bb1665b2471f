import { randomBytes } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import { sha256Hex } from '../src/crypto/sha256.js';
import { connect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { newId } from '../src/ids.js';
import { openLikeRefundDesk } from './sqlite.js';

/**
 * Prepares the baseline's database: RefundDesk's own schema (src/db/migrate.ts), then with raw SQL
 * one merchant, one terminal, an API key with refunds:write + read, and `sales` approved sales of
 * 1,000,000 minor units shaped like RefundDesk's rows.
 */
export async function prepareBaselineDb(
  file: string,
  sales: number,
): Promise<{ apiKey: string; paymentIds: string[] }> {
  const kdb = connect(file);
  await migrateToLatest(kdb);
  await kdb.close();

  const db = openLikeRefundDesk(file);
  const at = new Date().toISOString();
  const acquirerId = newId('acq');
  const agentId = newId('agt');
  const merchantId = newId('mer');
  const terminalId = newId('trm');
  const batchId = newId('bat');
  const apiKey = `rdk_${randomBytes(32).toString('base64url')}`;
  const paymentIds: string[] = [];
  db.transaction(() => {
    db.prepare('INSERT INTO acquirers (id, name, created_at) VALUES (?, ?, ?)').run(acquirerId, 'Bench Acquirer', at);
    db.prepare('INSERT INTO agents (id, name, created_at) VALUES (?, ?, ?)').run(agentId, 'Bench Agent', at);
    db.prepare(
      `INSERT INTO merchants (id, name, acquirer_id, currency, language, email, phone, refund_password_hash,
         refund_password_changed_at, created_at) VALUES (?, 'Bench Store', ?, 'CNY', 'en', NULL, NULL, NULL, NULL, ?)`,
    ).run(merchantId, acquirerId, at);
    db.prepare(
      `INSERT INTO terminals (id, serial, merchant_id, agent_id, status, created_at) VALUES (?, 'T-0001', ?, ?, 'active', ?)`,
    ).run(terminalId, merchantId, agentId, at);
    db.prepare(
      `INSERT INTO api_keys (id, merchant_id, name, key_hash, key_prefix, scopes, created_by, created_at, revoked_at)
       VALUES (?, ?, 'bench', ?, ?, ?, 'bench', ?, NULL)`,
    ).run(
      newId('key'),
      merchantId,
      sha256Hex(apiKey),
      apiKey.slice(0, 12),
      JSON.stringify(['refunds:write', 'read']),
      at,
    );
    db.prepare(
      `INSERT INTO batches (id, terminal_id, merchant_id, batch_no, status, opened_at, settled_at, totals)
       VALUES (?, ?, ?, 1, 'open', ?, NULL, NULL)`,
    ).run(batchId, terminalId, merchantId, at);
    const pay = db.prepare(
      `INSERT INTO payments (id, merchant_id, terminal_id, batch_id, operator_id, reference, amount, currency,
         captured_amount, status, card_bin, card_last4, card_brand, auth_code, decline_code, failure_reason,
         voided_at, created_at)
       VALUES (?, ?, ?, ?, NULL, ?, 1000000, 'CNY', 1000000, 'approved', '411111', '1111', 'visa', ?, NULL, NULL, NULL, ?)`,
    );
    for (let i = 0; i < sales; i++) {
      const id = newId('pay');
      pay.run(
        id,
        merchantId,
        terminalId,
        batchId,
        String(100_000_000_000 + i),
        String(i % 1_000_000).padStart(6, '0'),
        at,
      );
      paymentIds.push(id);
    }
  }).immediate();
  db.close();
  return { apiKey, paymentIds };
}

/**
 * After phase 1: how many refunds exist, how many lack a timeline event, and how many acquirer-review
 * jobs were queued, to prove each 201 wrote its refund, event and job (on either server).
 */
export function countRows(file: string): { refunds: number; withoutEvent: number; reviewJobs: number } {
  const db = new SqliteDatabase(file, { readonly: true });
  try {
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    // One read transaction: one snapshot, even if the server is still committing.
    return db.transaction(() => ({
      refunds: n('SELECT COUNT(*) AS n FROM refunds'),
      withoutEvent: n(
        'SELECT COUNT(*) AS n FROM refunds WHERE NOT EXISTS (SELECT 1 FROM refund_events e WHERE e.refund_id = refunds.id)',
      ),
      reviewJobs: n("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'refund.acquirer_review'"),
    }))();
  } finally {
    db.close();
  }
}
