import type { Kysely } from 'kysely';
import { newId } from '../../ids.js';

// The numbers a POS slip prints (TERMINAL.md): a 15-digit 商户编号 per merchant, an 8-digit 终端编号
// per terminal, and the terminal's journal (流水): one row per sale, void and refund made there, in
// its batch, under the terminal's next 6-digit 凭证号 (voucher no., +1 per transaction, 999999 → 1).
// `voucher_counters` holds each terminal's last number: a transaction takes the next by updating
// its row, which serialises a terminal's transactions there (both engines) and never skips or
// repeats. A table of its own, so that it never fights the share lock sales take on `terminals`.
// Existing rows are back-filled: merchants and terminals numbered in creation order, and each
// terminal's journal rebuilt from its sales, voids and counter refunds in time order.

export const MERCHANT_NO_PREFIX = '8983100';
export const FIRST_TERMINAL_NO = 10_000_001;

interface Row {
  [column: string]: unknown;
}
type Any = Kysely<Record<string, Row>>;

export async function up(db: Kysely<unknown>): Promise<void> {
  const k = db as unknown as Any;
  await k.schema.alterTable('merchants').addColumn('merchant_no', 'text').execute();
  await k.schema.alterTable('terminals').addColumn('terminal_no', 'text').execute();
  await k.schema
    .createTable('voucher_counters')
    .addColumn('terminal_id', 'text', (c) => c.primaryKey().references('terminals.id'))
    .addColumn('last_voucher_no', 'integer', (c) => c.notNull())
    .execute();
  await k.schema
    .createTable('terminal_journal')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('terminal_id', 'text', (c) => c.notNull().references('terminals.id'))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text', (c) => c.notNull().references('batches.id'))
    .addColumn('voucher_no', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('refund_id', 'text', (c) => c.references('refunds.id'))
    .addColumn('operator_id', 'text')
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await backfill(k);
  await k.schema.createIndex('merchants_merchant_no').on('merchants').column('merchant_no').unique().execute();
  await k.schema.createIndex('terminals_terminal_no').on('terminals').column('terminal_no').unique().execute();
  await k.schema.createIndex('terminal_journal_batch').on('terminal_journal').column('batch_id').execute();
  await k.schema
    .createIndex('terminal_journal_voucher')
    .on('terminal_journal')
    .columns(['terminal_id', 'voucher_no'])
    .execute();
  await k.schema.createIndex('terminal_journal_payment').on('terminal_journal').column('payment_id').execute();
  await k.schema.createIndex('terminal_journal_refund').on('terminal_journal').column('refund_id').execute();
}

const byTimeThenId = (a: { at: string; id: string }, b: { at: string; id: string }) =>
  a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Numbers the existing merchants and terminals and rebuilds each terminal's journal (exported for its test). */
export async function backfill(k: Any): Promise<void> {
  const merchants = await k.selectFrom('merchants').select(['id', 'created_at']).execute();
  const mine = merchants.map((m) => ({ id: String(m.id), at: String(m.created_at) })).sort(byTimeThenId);
  for (const [i, m] of mine.entries()) {
    const merchantNo = MERCHANT_NO_PREFIX + String(i + 1).padStart(8, '0');
    await k.updateTable('merchants').set({ merchant_no: merchantNo }).where('id', '=', m.id).execute();
  }
  const terminals = await k.selectFrom('terminals').select(['id', 'created_at']).execute();
  const sorted = terminals.map((t) => ({ id: String(t.id), at: String(t.created_at) })).sort(byTimeThenId);
  for (const [i, t] of sorted.entries()) {
    await k
      .updateTable('terminals')
      .set({ terminal_no: String(FIRST_TERMINAL_NO + i) })
      .where('id', '=', t.id)
      .execute();
    await backfillJournal(k, t.id);
  }
}

async function backfillJournal(k: Any, terminalId: string): Promise<void> {
  const payments = await k
    .selectFrom('payments')
    .selectAll()
    .where('terminal_id', '=', terminalId)
    .orderBy('id')
    .execute();
  const batches = await k.selectFrom('batches').selectAll().where('terminal_id', '=', terminalId).execute();
  const entries: Row[] = [];
  const entry = (p: Row, kind: string, at: string, extra: Row = {}) =>
    entries.push({
      terminal_id: terminalId,
      merchant_id: p.merchant_id,
      batch_id: p.batch_id,
      kind,
      payment_id: p.id,
      refund_id: null,
      operator_id: kind === 'sale' ? p.operator_id : null,
      amount: p.amount,
      currency: p.currency,
      created_at: at,
      ...extra,
    });
  for (const p of payments) {
    entry(p, 'sale', String(p.created_at));
    if (p.status === 'voided' && p.voided_at) entry(p, 'void', String(p.voided_at));
  }
  // A refund made at the counter (channel `counter`) belongs to the batch open there at the time;
  // one made while no batch was open has no place in a batch, and stays out of the journal.
  const ids = payments.map((p) => String(p.id));
  const refunds = ids.length
    ? await k
        .selectFrom('refunds')
        .selectAll()
        .where('payment_id', 'in', ids)
        .where('channel', '=', 'counter')
        .execute()
    : [];
  for (const r of refunds) {
    const at = String(r.created_at);
    const batch = batches.find(
      (b) => String(b.opened_at) <= at && (b.settled_at === null || String(b.settled_at) > at),
    );
    const p = payments.find((x) => x.id === r.payment_id);
    if (!batch || !p) continue;
    const first = await k
      .selectFrom('refund_events')
      .select(['actor_kind', 'actor_id'])
      .where('refund_id', '=', String(r.id))
      .orderBy('created_at')
      .orderBy('id')
      .executeTakeFirst();
    entry(p, 'refund', at, {
      batch_id: batch.id,
      refund_id: r.id,
      amount: r.amount,
      operator_id: first?.actor_kind === 'operator' ? first.actor_id : null,
    });
  }
  const ordered = entries
    .map((e, i) => ({ e, at: String(e.created_at), id: String(i).padStart(9, '0') }))
    .sort(byTimeThenId);
  for (const [i, { e, at }] of ordered.entries()) {
    const voucherNo = (i % 999_999) + 1;
    await k
      .insertInto('terminal_journal')
      .values({ ...e, id: newId('jnl', Date.parse(at)), voucher_no: voucherNo })
      .execute();
  }
  if (ordered.length === 0) return;
  const last = ((ordered.length - 1) % 999_999) + 1;
  await k.insertInto('voucher_counters').values({ terminal_id: terminalId, last_voucher_no: last }).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const k = db as unknown as Any;
  await k.schema.dropTable('terminal_journal').execute();
  await k.schema.dropTable('voucher_counters').execute();
  await k.schema.dropIndex('terminals_terminal_no').execute();
  await k.schema.dropIndex('merchants_merchant_no').execute();
  await k.schema.alterTable('terminals').dropColumn('terminal_no').execute();
  await k.schema.alterTable('merchants').dropColumn('merchant_no').execute();
}
