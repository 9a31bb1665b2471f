import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/audit.service.js';
import { type Actor, auditActorOf } from '../auth/actor.js';
import { addMs } from '../clock.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import { openSecret, sealSecret } from '../crypto/seal.js';
import type { Db } from '../db/connect.js';
import { type Page, pageOf } from '../db/page.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { forbidden, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { enqueueJob, type JobHandlers } from '../jobs/job.service.js';
import type { WebhookOutcome } from '../metrics/metrics.js';
import { purposeKey } from '../secret-key.js';
import { postWebhook } from './sender.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { webhookEndpointLimit } from './webhook.errors.js';
import {
  checkWebhookUrl,
  DELIVERY_WINDOW_MS,
  type DeliveryStatus,
  isEventTypeName,
  MAX_ENDPOINTS_PER_MERCHANT,
  nextAttemptAt,
  normalizeSubscriptions,
  subscribes,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEvent,
} from './webhook.js';
import * as repo from './webhook.repository.js';

export { verifyWebhookSignature } from './signature.js';
export type { WebhookDelivery, WebhookEndpoint, WebhookEvent } from './webhook.js';

export const JOB_DELIVER_WEBHOOK = 'webhook.deliver';
export const SECRET_PREFIX = 'whsec_';
export const USER_AGENT = 'RefundDesk-Webhooks/1';
/** One attempt may take this long before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/**
 * How long one worker holds a delivery while sending it. Longer than the timeout, so a slow answer
 * does not let a second worker send too; shorter than the jobs' own lock (60 s), so a job whose
 * worker died finds the lease lapsed when it runs again.
 */
const SENDING_LEASE_MS = 30_000;

/** The merchant a console user or key acts for; only merchant owners manage endpoints. */
function merchantOf(actor: Actor): string {
  if (actor.role !== 'merchant_owner' || !actor.merchantId) throw forbidden('only the merchant owner manages webhooks');
  return actor.merchantId;
}

/**
 * Registers an endpoint for the owner's merchant and returns it with its signing secret. The
 * secret is shown this once: it is stored encrypted (see src/crypto/seal.ts) and never returned again.
 * @throws webhook_url_invalid, webhook_event_unknown, webhook_endpoint_limit, forbidden
 */
export async function createWebhookEndpoint(
  db: Db,
  ctx: AppContext,
  actor: Actor,
  input: { url: string; events: readonly string[]; description?: string | null },
): Promise<WebhookEndpoint & { secret: string }> {
  const merchantId = merchantOf(actor);
  const url = checkWebhookUrl(input.url, { allowPrivate: ctx.config.webhookAllowPrivate });
  const events = normalizeSubscriptions(input.events);
  const key = purposeKey(ctx.config, 'webhook-secrets');
  const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = newId('whe');
  const row = {
    id,
    merchant_id: merchantId,
    url,
    description: input.description?.trim() || null,
    events: JSON.stringify(events),
    secret_ciphertext: sealSecret(key, secret, id),
    enabled: 1,
    created_at: nowIso(ctx),
    deleted_at: null,
  };
  await transaction(db, async (trx) => {
    if ((await repo.countLiveEndpoints(trx, merchantId)) >= MAX_ENDPOINTS_PER_MERCHANT) {
      throw webhookEndpointLimit(MAX_ENDPOINTS_PER_MERCHANT);
    }
    await repo.insertEndpoint(trx, row);
    await recordAudit(trx, ctx, {
      merchantId,
      actor: auditActorOf(actor),
      action: 'webhook_endpoint.created',
      outcome: 'success',
      objectType: 'webhook_endpoint',
      objectId: id,
      details: { events },
    });
  });
  return { ...repo.endpointRowToEndpoint(row), secret };
}

/** The owner's live endpoints, newest first, without secrets. */
export async function listWebhookEndpoints(
  conn: Conn,
  actor: Actor,
  q: { limit: number; cursor?: string },
): Promise<Page<WebhookEndpoint>> {
  const rows = await repo.listLiveEndpointRows(conn, {
    merchantId: merchantOf(actor),
    before: q.cursor,
    limit: q.limit + 1,
  });
  return pageOf(rows, q.limit, repo.endpointRowToEndpoint);
}

/** @throws not_found for an id that is not one of the owner's live endpoints */
export async function getWebhookEndpoint(conn: Conn, actor: Actor, id: string): Promise<WebhookEndpoint> {
  const row = await repo.findLiveEndpointRow(conn, merchantOf(actor), id);
  if (!row) throw notFound('webhook endpoint');
  return repo.endpointRowToEndpoint(row);
}

/**
 * Deletes an endpoint: nothing more is sent to it, its waiting deliveries are given up, and its
 * secret is destroyed. Its delivery log stays. @throws not_found (also for a second delete)
 */
export async function deleteWebhookEndpoint(db: Db, ctx: AppContext, actor: Actor, id: string): Promise<void> {
  const merchantId = merchantOf(actor);
  await transaction(db, async (trx) => {
    if (!(await repo.markEndpointDeleted(trx, merchantId, id, nowIso(ctx)))) throw notFound('webhook endpoint');
    await repo.failPendingDeliveries(trx, id, 'the endpoint was deleted');
    await recordAudit(trx, ctx, {
      merchantId,
      actor: auditActorOf(actor),
      action: 'webhook_endpoint.deleted',
      outcome: 'success',
      objectType: 'webhook_endpoint',
      objectId: id,
    });
  });
}

/** The delivery log of one of the owner's live endpoints, newest first. @throws not_found */
export async function listWebhookDeliveries(
  conn: Conn,
  actor: Actor,
  endpointId: string,
  q: { limit: number; cursor?: string; status?: DeliveryStatus },
): Promise<Page<WebhookDelivery>> {
  await getWebhookEndpoint(conn, actor, endpointId);
  const rows = await repo.listDeliveryRows(conn, {
    endpointId,
    before: q.cursor,
    limit: q.limit + 1,
    status: q.status,
  });
  return pageOf(rows, q.limit, repo.deliveryRowToDelivery);
}

/**
 * Emits an event to the merchant's webhooks, inside the caller's transaction: for each enabled
 * endpoint subscribed to `type` (or to `*`) a delivery row and its job are written, so they exist
 * if and only if the caller's change commits. The worker sends them after commit (woken at once
 * by the job's `onCommit`). Every endpoint gets the same body, with one
 * event id: `{ id: 'evt_…', type, createdAt, data }`.
 *
 * `data` is sent to the merchant's server as it is: never put secrets or full card numbers in it.
 * Types outside `webhookEventTypes` are allowed (endpoints subscribed to `*` get them), but add
 * them there so that endpoints can subscribe to them by name.
 * @throws Error (a bug in the caller) for a malformed type or data that is not a JSON object
 */
export async function emitWebhookEvent(
  trx: Tx,
  ctx: AppContext,
  merchantId: string,
  type: string,
  data: Record<string, unknown>,
): Promise<void> {
  if (!isEventTypeName(type)) throw new Error(`malformed webhook event type: ${type}`);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error('webhook event data must be an object');
  }
  const endpoints = (await repo.listEnabledEndpointRows(trx, merchantId)).filter((e) =>
    subscribes(JSON.parse(e.events) as string[], type),
  );
  if (endpoints.length === 0) return;
  const createdAt = nowIso(ctx);
  const event: WebhookEvent = { id: newId('evt'), type, createdAt, data };
  const payload = JSON.stringify(event);
  for (const endpoint of endpoints) {
    const id = newId('whd');
    await repo.insertDelivery(trx, {
      id,
      endpoint_id: endpoint.id,
      merchant_id: merchantId,
      event_id: event.id,
      event_type: type,
      payload,
      status: 'pending',
      attempts: 0,
      last_status_code: null,
      last_error: null,
      next_attempt_at: createdAt,
      sending_until: null,
      created_at: createdAt,
      delivered_at: null,
    });
    await enqueueJob(trx, ctx, JOB_DELIVER_WEBHOOK, { deliveryId: id });
  }
}

/**
 * The `webhook.deliver` job: one attempt of one delivery. Safe to run any number of times.
 *
 * 1. A delivery that is not pending (delivered, failed) is done. One that is not due yet belongs
 *    to a later job (this one is a stale duplicate) and is left alone.
 * 2. Lease, then send: a conditional update takes the sending lease and counts the attempt before
 *    the request goes out, so a second worker running a job for the same delivery finds the lease
 *    taken and backs off (by throwing: the jobs worker retries it later) instead of sending too.
 * 3. A 2xx marks it delivered, after which nothing sends it again.
 * 4. Anything else records the attempt and, in the same transaction, queues the next attempt's job
 *    at our own backoff (30 s, 1 min, 2 min … at most 1 h), or, when the next attempt would fall
 *    more than 24 h after the event, marks the delivery failed. The current job then ends without
 *    throwing, so the jobs worker's own retries (10 at most) do not cut the 24 h short.
 *
 * The at-least-once window: if the process dies, or the database is unreachable, after the
 * endpoint answered 2xx and before step 3 commits, nothing records the success; once the lease
 * lapses (SENDING_LEASE_MS) a retry sends the same event again. Receivers dedupe on the event id
 * (the body's `id`, also in the `RefundDesk-Event-Id` header), which is the same on every attempt.
 */
async function deliverWebhook(db: Db, ctx: AppContext, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.deliveryId ?? '');
  const conn = db.kysely;
  const row = await repo.findDeliveryRow(conn, id);
  const now = ctx.clock.now();
  if (row?.status !== 'pending') return;
  if (row.next_attempt_at !== null && row.next_attempt_at > now.toISOString()) return;

  const endpoint = await repo.findEndpointRow(conn, row.endpoint_id);
  const giveUp = async (why: string) => {
    await repo.failDelivery(conn, id, why);
    ctx.metrics.webhookAttempt('given_up');
  };
  if (!endpoint || endpoint.deleted_at !== null || !endpoint.secret_ciphertext)
    return giveUp('the endpoint was deleted');
  if (Number(endpoint.enabled) !== 1) return giveUp('the endpoint is disabled');
  const createdAt = new Date(row.created_at);
  if (now.getTime() > createdAt.getTime() + DELIVERY_WINDOW_MS) {
    return giveUp('not delivered within 24 hours of the event');
  }

  const lease = addMs(now, SENDING_LEASE_MS).toISOString();
  const attempt = await repo.claimDelivery(conn, id, now.toISOString(), lease);
  if (attempt === undefined) {
    const current = await repo.findDeliveryRow(conn, id);
    if (current?.status !== 'pending' || (current.next_attempt_at ?? '') > now.toISOString()) return;
    throw new Error(`webhook delivery ${id} is being sent by another worker`);
  }

  let statusCode: number | null = null;
  let error: string;
  let outcome: WebhookOutcome = 'network_error';
  const started = performance.now();
  let took: number | undefined;
  try {
    const secret = openSecret(purposeKey(ctx.config, 'webhook-secrets'), endpoint.secret_ciphertext, endpoint.id);
    const timestamp = Math.floor(ctx.clock.now().getTime() / 1000);
    const result = await postWebhook(
      endpoint.url,
      row.payload,
      {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        [SIGNATURE_HEADER]: signatureHeader(secret, row.payload, timestamp),
        'RefundDesk-Event-Id': row.event_id,
      },
      { timeoutMs: DELIVERY_TIMEOUT_MS, allowPrivate: ctx.config.webhookAllowPrivate },
    );
    took = (performance.now() - started) / 1000;
    if (result.statusCode >= 200 && result.statusCode < 300) {
      await repo.markDelivered(conn, id, ctx.clock.now().toISOString(), result.statusCode);
      ctx.metrics.webhookAttempt('delivered', took);
      return;
    }
    statusCode = result.statusCode;
    outcome = 'http_error';
    error =
      result.statusCode >= 300 && result.statusCode < 400
        ? `HTTP ${result.statusCode}: redirects are not followed`
        : `HTTP ${result.statusCode}${result.bodySnippet.trim() ? `: ${oneLine(result.bodySnippet)}` : ''}`;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    took ??= (performance.now() - started) / 1000;
  }

  const next = nextAttemptAt(createdAt, attempt, ctx.clock.now());
  await transaction(db, async (trx) => {
    const held = await repo.recordFailedAttempt(trx, id, lease, {
      statusCode,
      error: error.slice(0, 500),
      nextAt: next?.toISOString() ?? null,
    });
    if (held && next) await enqueueJob(trx, ctx, JOB_DELIVER_WEBHOOK, { deliveryId: id }, next);
  });
  ctx.metrics.webhookAttempt(outcome, took);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** The webhooks domain's jobs, assembled with the others in `src/wiring.ts`. */
export const webhookJobHandlers: JobHandlers = {
  [JOB_DELIVER_WEBHOOK]: { task: deliverWebhook },
};
