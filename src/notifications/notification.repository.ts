import { insertRowUnlessClash, prepare } from '../db/prepared.js';
import type { Conn, Tx } from '../db/transaction.js';
import type { NotificationTable } from '../notifications/notification.tables.js';
import type { Notification, NotificationChannel, NotificationLanguage, NotificationStatus } from './notification.js';

/** Inserts the row unless its dedupe_key exists; true when inserted. Never raises on a duplicate,
 * so the caller's PostgreSQL transaction is not aborted by a unique violation. */
export async function insertNotification(trx: Tx, row: NotificationTable): Promise<boolean> {
  return insertRowUnlessClash(trx, 'notifications', row, 'dedupe_key');
}

export async function findNotificationIdByDedupeKey(conn: Conn, dedupeKey: string): Promise<string | undefined> {
  const r = await conn.selectFrom('notifications').select('id').where('dedupe_key', '=', dedupeKey).executeTakeFirst();
  return r?.id;
}

export async function findNotificationRow(conn: Conn, id: string): Promise<NotificationTable | undefined> {
  return notificationById.first(conn, { id });
}
const notificationById = prepare((c, v: { id: string }) =>
  c.selectFrom('notifications').selectAll().where('id', '=', v.id),
);

export async function listNotificationRows(
  conn: Conn,
  q: { limit: number; merchantId?: string },
): Promise<NotificationTable[]> {
  let query = conn.selectFrom('notifications').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.merchantId !== undefined) query = query.where('merchant_id', '=', q.merchantId);
  return query.execute();
}

/** queued → local (no provider configured). Keeps render_data so `outbox --reveal` can show it. */
export async function markLocal(conn: Conn, id: string, at: string): Promise<boolean> {
  return (await keptLocal.changed(conn, { id, at })) > 0;
}
const keptLocal = prepare((c, v: { id: string; at: string }) =>
  c
    .updateTable('notifications')
    .set({ status: 'local', sent_at: v.at, sending_until: null })
    .where('id', '=', v.id)
    .where('status', '=', 'queued'),
);

/**
 * Takes the sending lease: only one worker at a time may hand a notification to its provider.
 * Fails while another worker's lease runs, and once the notification left `queued`.
 */
export async function claimForSending(conn: Conn, id: string, now: string, until: string): Promise<boolean> {
  return (await leaseTaken.changed(conn, { id, now, until })) > 0;
}
const leaseTaken = prepare((c, v: { id: string; now: string; until: string }) =>
  c
    .updateTable('notifications')
    .set((eb) => ({ sending_until: v.until, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', v.id)
    .where('status', '=', 'queued')
    .where((eb) => eb.or([eb('sending_until', 'is', null), eb('sending_until', '<', v.now)])),
);

/** queued → sent; forgets the secret-bearing render_data in the same statement. */
export async function markSent(conn: Conn, id: string, at: string, providerMessageId: string | null): Promise<void> {
  await sent.changed(conn, { id, at, providerMessageId });
}
const sent = prepare((c, v: { id: string; at: string; providerMessageId: string | null }) =>
  c
    .updateTable('notifications')
    .set({
      status: 'sent',
      sent_at: v.at,
      provider_message_id: v.providerMessageId,
      render_data: null,
      sending_until: null,
    })
    .where('id', '=', v.id)
    .where('status', '=', 'queued'),
);

/** Releases the lease after a failed send; `final` marks it failed and forgets render_data. */
export async function recordFailure(conn: Conn, id: string, error: string, final: boolean): Promise<void> {
  await conn
    .updateTable('notifications')
    .set(
      final
        ? { status: 'failed', last_error: error, sending_until: null, render_data: null }
        : { last_error: error, sending_until: null },
    )
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .execute();
}

export function notificationRowToNotification(row: NotificationTable): Notification {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    channel: row.channel as NotificationChannel,
    recipient: row.recipient,
    template: row.template,
    language: row.language as NotificationLanguage,
    subject: row.subject,
    body: row.body,
    dedupeKey: row.dedupe_key,
    status: row.status as NotificationStatus,
    attempts: row.attempts,
    lastError: row.last_error,
    providerMessageId: row.provider_message_id,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}
