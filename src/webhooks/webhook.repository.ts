import { prepare } from '../db/prepared.js';
import type { Conn, Tx } from '../db/transaction.js';
import type { WebhookDeliveryTable, WebhookEndpointTable } from '../webhooks/webhook.tables.js';
import type { DeliveryStatus, WebhookDelivery, WebhookEndpoint } from './webhook.js';

export async function insertEndpoint(trx: Tx, row: WebhookEndpointTable): Promise<void> {
  await trx.insertInto('webhook_endpoints').values(row).execute();
}

/** Endpoints not deleted, of one merchant; on PostgreSQL the merchant's row is not locked here. */
export async function countLiveEndpoints(conn: Conn, merchantId: string): Promise<number> {
  const r = await conn
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('merchant_id', '=', merchantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** A live (not deleted) endpoint of this merchant. */
export async function findLiveEndpointRow(
  conn: Conn,
  merchantId: string,
  id: string,
): Promise<WebhookEndpointTable | undefined> {
  return conn
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', merchantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function findEndpointRow(conn: Conn, id: string): Promise<WebhookEndpointTable | undefined> {
  return conn.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listLiveEndpointRows(
  conn: Conn,
  q: { merchantId: string; before?: string; limit: number },
): Promise<WebhookEndpointTable[]> {
  let query = conn
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('merchant_id', '=', q.merchantId)
    .where('deleted_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(q.limit);
  if (q.before) query = query.where('id', '<', q.before);
  return query.execute();
}

/** The endpoints an event of this merchant may go to (the caller filters by subscription). */
export async function listEnabledEndpointRows(trx: Tx, merchantId: string): Promise<WebhookEndpointTable[]> {
  return enabledEndpoints.all(trx, { merchantId });
}
const enabledEndpoints = prepare((c, v: { merchantId: string }) =>
  c
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('merchant_id', '=', v.merchantId)
    .where('enabled', '=', 1)
    .where('deleted_at', 'is', null)
    .orderBy('id'),
);

/** Deletes softly: the row stays for its delivery log, its secret is destroyed. True when it was live. */
export async function markEndpointDeleted(trx: Tx, merchantId: string, id: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('webhook_endpoints')
    .set({ deleted_at: at, enabled: 0, secret_ciphertext: null })
    .where('id', '=', id)
    .where('merchant_id', '=', merchantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Gives up every delivery still waiting for this endpoint. */
export async function failPendingDeliveries(trx: Tx, endpointId: string, error: string): Promise<void> {
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', last_error: error, next_attempt_at: null, sending_until: null })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
}

export async function insertDelivery(trx: Tx, row: WebhookDeliveryTable): Promise<void> {
  await trx.insertInto('webhook_deliveries').values(row).execute();
}

export async function findDeliveryRow(conn: Conn, id: string): Promise<WebhookDeliveryTable | undefined> {
  return conn.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listDeliveryRows(
  conn: Conn,
  q: { endpointId: string; before?: string; limit: number; status?: DeliveryStatus },
): Promise<WebhookDeliveryTable[]> {
  let query = conn
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('endpoint_id', '=', q.endpointId)
    .orderBy('id', 'desc')
    .limit(q.limit);
  if (q.before) query = query.where('id', '<', q.before);
  if (q.status) query = query.where('status', '=', q.status);
  return query.execute();
}

/**
 * Takes the sending lease and counts the attempt: only one worker at a time may send a delivery,
 * only while it is pending and due. Returns the attempt number, or undefined when not taken.
 */
export async function claimDelivery(conn: Conn, id: string, now: string, until: string): Promise<number | undefined> {
  const r = await conn
    .updateTable('webhook_deliveries')
    .set((eb) => ({ sending_until: until, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('sending_until', 'is', null), eb('sending_until', '<', now)]))
    .returning('attempts')
    .executeTakeFirst();
  return r ? Number(r.attempts) : undefined;
}

/** pending → delivered. Terminal: nothing sends a delivered delivery again. */
export async function markDelivered(conn: Conn, id: string, at: string, statusCode: number): Promise<void> {
  await conn
    .updateTable('webhook_deliveries')
    .set({
      status: 'delivered',
      delivered_at: at,
      last_status_code: statusCode,
      last_error: null,
      next_attempt_at: null,
      sending_until: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

/**
 * Records a failed attempt by the holder of `lease`: either schedules the next one (`nextAt`) or,
 * without one, gives the delivery up. True when this worker still held the delivery.
 */
export async function recordFailedAttempt(
  conn: Conn,
  id: string,
  lease: string,
  r: { statusCode: number | null; error: string; nextAt: string | null },
): Promise<boolean> {
  const u = await conn
    .updateTable('webhook_deliveries')
    .set({
      status: r.nextAt ? 'pending' : 'failed',
      last_status_code: r.statusCode,
      last_error: r.error,
      next_attempt_at: r.nextAt,
      sending_until: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('sending_until', '=', lease)
    .executeTakeFirst();
  return Number(u.numUpdatedRows) > 0;
}

/** Gives up a delivery that is pending but cannot be sent (its endpoint is gone, its window passed). */
export async function failDelivery(conn: Conn, id: string, error: string): Promise<void> {
  await conn
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', last_error: error, next_attempt_at: null, sending_until: null })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

export function endpointRowToEndpoint(row: WebhookEndpointTable): WebhookEndpoint {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    enabled: Number(row.enabled) === 1 && row.deleted_at === null,
    createdAt: row.created_at,
  };
}

export function deliveryRowToDelivery(row: WebhookDeliveryTable): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
  };
}
