import { randomBytes } from 'node:crypto';
import type { ThrowawayDatabase } from '../../test/support/engines.js';
import type { Harness } from '../../test/support/harness.js';
import { connect, type Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import { newId } from '../ids.js';
import { loadOrder, openSnapshot } from './backup.repository.js';

/** What the backup service tests share: a passphrase, rows no API writes, an older database. */

export const PASSPHRASE = 'correct horse battery staple 电池';

/** Test-only rows no API writes in one call: a dispute with a binary attachment (bytea / BLOB). */
export async function addAttachment(h: Harness, paymentId: string): Promise<Buffer> {
  const at = h.clock.now().toISOString();
  const data = Buffer.concat([Buffer.from([0, 255, 1, 254]), randomBytes(64)]);
  const disputeId = newId('dp');
  const messageId = newId('dpm');
  const k = h.db.kysely;
  await k
    .insertInto('disputes')
    .values({
      id: disputeId,
      merchant_id: h.ids.merchantId,
      payment_id: paymentId,
      status: 'negotiating',
      reason: 'goods_returned',
      description: '鞋子开胶了',
      customer_language: 'zh-CN',
      created_at: at,
      updated_at: at,
    } as never)
    .execute();
  await k
    .insertInto('dispute_messages')
    .values({
      id: messageId,
      dispute_id: disputeId,
      author_party: 'customer',
      author_kind: 'customer',
      body: 'x',
      created_at: at,
    } as never)
    .execute();
  await k
    .insertInto('dispute_attachments')
    .values({
      id: newId('dpa'),
      dispute_id: disputeId,
      message_id: messageId,
      filename: 'sole.bin',
      content_type: 'application/octet-stream',
      size: data.length,
      sha256: 'x'.repeat(64),
      data,
      created_at: at,
    })
    .execute();
  return data;
}

/**
 * Copies every row of `from` (at the current schema) into `to` (at an older one), column by column
 * as far as the older tables have them, parents first: a database that only ever ran the older
 * migrations, holding real data.
 */
export async function copyRowsInto(from: Db, to: ThrowawayDatabase): Promise<void> {
  const snap = await openSnapshot(to.url);
  const tables = loadOrder(await snap.tables());
  await snap.close();
  const into = connect(to.url);
  try {
    await transaction(into, async (trx) => {
      for (const t of tables) {
        const columns = t.columns.map((c) => c.name);
        const rows = await from.kysely
          .selectFrom(t.name as never)
          .select(columns as never)
          .execute();
        for (let i = 0; i < rows.length; i += 100) {
          await trx
            .insertInto(t.name as never)
            .values(rows.slice(i, i + 100) as never)
            .execute();
        }
      }
    });
  } finally {
    await into.close();
  }
}
