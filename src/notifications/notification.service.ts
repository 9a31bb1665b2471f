import { addMs, MINUTE } from '../clock.js';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../context.js';
import type { Db } from '../db/connect.js';
import { type Conn, type Tx, transaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import { enqueueJob, type JobHandlers } from '../jobs/job.service.js';
import { findMerchant } from '../merchants/merchant.service.js';
import {
  type DeliveryProvider,
  type DeliveryResult,
  type OutgoingMessage,
  PermanentDeliveryError,
} from './delivery.js';
import { DEFAULT_SMTP_FROM, SmtpEmailProvider } from './email.js';
import { notRevealable } from './notification.errors.js';
import {
  assertRenderable,
  hasSecrets,
  type Notification,
  type NotificationChannel,
  type NotificationInput,
  type NotificationLanguage,
  type NotificationTemplate,
  notificationLanguages,
  render,
  renderMasked,
  type TemplateData,
} from './notification.js';
import * as repo from './notification.repository.js';
import { HttpSmsProvider } from './sms.js';
import './templates.js';
import { openSecret, sealSecret } from '../crypto/seal.js';
import { purposeKey } from '../secret-key.js';

export type { Notification, NotificationInput, NotificationTemplate } from './notification.js';
export { registerTemplate } from './notification.js';

export const JOB_SEND_NOTIFICATION = 'notification.send';

/** How long one worker may spend handing a message to its provider before another may try. */
const SENDING_LEASE_MS = 2 * MINUTE;
/** Provider errors tolerated before a message is marked failed (below the jobs' own limit of 10). */
const MAX_SEND_ATTEMPTS = 8;

/**
 * Queues a message inside the caller's transaction: the row and its `notification.send` job
 * commit or roll back with the change that caused them. A second call with the same `dedupeKey`
 * (a replay, a retried handler) queues nothing and returns the first message's id with
 * `queued: false`. The worker sends it after commit: its job wakes the local worker once the
 * caller's transaction commits (`enqueueJob` → `onCommit`).
 *
 * Secrets (one-time codes): the stored `subject`/`body` are always rendered with the template's
 * secret values masked, so listings, backups and the CLI never show a code. The real text is
 * rendered again at send time from `render_data`, a column of this row kept only while the
 * message waits: the statement that marks it sent (or failed) sets it to NULL. `render_data` is
 * sealed (AES-256-GCM under the server's secret key, the notification id as AAD), so a copy of
 * the database alone shows no code even while a message waits. We chose this
 * over carrying the code in the job payload because the jobs table keeps payloads of finished
 * jobs and the jobs domain has no way to scrub one, so the code would outlive its delivery there.
 * Messages without secrets have no `render_data`: what is stored is exactly what is sent.
 * The exception is the offline outbox: a message kept `local` keeps its `render_data` so that
 * `refunddesk outbox --reveal` can show the code in a demo without SMTP or SMS.
 *
 * @throws Error (a bug, not user input) for an unknown template, language or channel, an empty
 *   recipient, or data that carries a password.
 */
export async function queueNotification(
  trx: Tx,
  ctx: AppContext,
  n: NotificationInput,
): Promise<{ id: string; queued: boolean }> {
  assertRenderable(n);
  if (n.channel === 'email' && !n.to.includes('@')) throw new Error('an e-mail notification needs an e-mail address');
  const masked = renderMasked(n.template, n.language, n.data);
  const id = newId('ntf');
  const inserted = await repo.insertNotification(trx, {
    id,
    merchant_id: n.merchantId,
    channel: n.channel,
    recipient: n.to.trim(),
    template: n.template,
    language: n.language,
    subject: masked.subject,
    body: masked.body,
    render_data: hasSecrets(n.template, n.data) ? sealRenderData(ctx, id, n.data) : null,
    dedupe_key: n.dedupeKey,
    status: 'queued',
    attempts: 0,
    last_error: null,
    provider_message_id: null,
    sending_until: null,
    created_at: nowIso(ctx),
    sent_at: null,
  });
  if (!inserted) {
    const existing = await repo.findNotificationIdByDedupeKey(trx, n.dedupeKey);
    if (!existing) throw new Error(`notification dedupe key ${n.dedupeKey} collided but cannot be read`);
    return { id: existing, queued: false };
  }
  await enqueueJob(trx, ctx, JOB_SEND_NOTIFICATION, { notificationId: id });
  return { id, queued: true };
}

function sealRenderData(ctx: AppContext, id: string, data: TemplateData): string {
  return sealSecret(purposeKey(ctx.config, 'notification-render-data'), JSON.stringify(data), id);
}

/**
 * The real text of a message: rendered from its sealed `render_data` when it carries a secret,
 * otherwise the stored text, which is then exactly what is sent.
 * @throws Error when `render_data` does not open (SECRET_KEY changed, or it was copied from another row)
 */
function realText(ctx: AppContext, row: NotificationRow): { subject: string; body: string } {
  if (!row.render_data) return { subject: row.subject, body: row.body };
  // A message queued before render_data was sealed holds plain JSON: still sent (or revealed) once.
  const json = row.render_data.startsWith('{')
    ? row.render_data
    : openSecret(purposeKey(ctx.config, 'notification-render-data'), row.render_data, row.id);
  const data = JSON.parse(json) as TemplateData;
  return render(row.template, row.language as NotificationLanguage, data);
}

type NotificationRow = {
  id: string;
  recipient: string;
  template: string;
  language: string;
  subject: string;
  body: string;
  render_data: string | null;
};

/**
 * E-mails the merchant's registered address in the merchant's language; does nothing when the
 * merchant has no e-mail address. Same transaction and dedupe rules as `queueNotification`.
 * @throws not_found when the merchant does not exist.
 */
export async function notifyMerchantOwner(
  trx: Tx,
  ctx: AppContext,
  merchantId: string,
  template: NotificationTemplate,
  data: Record<string, unknown>,
  dedupeKey: string,
): Promise<void> {
  const merchant = await findMerchant(trx, merchantId);
  if (!merchant) throw notFound('merchant');
  if (!merchant.email) return;
  const language: NotificationLanguage = (notificationLanguages as readonly string[]).includes(merchant.language)
    ? merchant.language
    : 'zh-CN';
  await queueNotification(trx, ctx, {
    merchantId,
    channel: 'email',
    to: merchant.email,
    template,
    language,
    data,
    dedupeKey,
  });
}

/** Newest first; bodies are the masked copies. */
export async function listOutbox(conn: Conn, q: { limit: number; merchantId?: string }): Promise<Notification[]> {
  const limit = Math.min(Math.max(Math.trunc(q.limit) || 1, 1), 500);
  const rows = await repo.listNotificationRows(conn, { limit, merchantId: q.merchantId });
  return rows.map(repo.notificationRowToNotification);
}

/**
 * The real text of a message kept in the local outbox (no provider configured), for the offline
 * demo's `refunddesk outbox --reveal`. Callers print it for the person at the console; it is never
 * logged.
 * @throws not_found for an unknown id; forbidden for a message that was (or will be) sent for real.
 */
export async function revealLocalNotification(
  conn: Conn,
  ctx: AppContext,
  id: string,
): Promise<{ id: string; channel: NotificationChannel; recipient: string; subject: string; body: string }> {
  const row = await repo.findNotificationRow(conn, id);
  if (!row) throw notFound('notification');
  if (row.status !== 'local') throw notRevealable();
  return { id: row.id, channel: row.channel as NotificationChannel, recipient: row.recipient, ...realText(ctx, row) };
}

/** The configured provider for a channel, or undefined: then messages stay in the local outbox. */
export function providerFor(config: Config, channel: NotificationChannel): DeliveryProvider | undefined {
  if (channel === 'email') {
    return config.smtpUrl ? new SmtpEmailProvider(config.smtpUrl, config.smtpFrom || DEFAULT_SMTP_FROM) : undefined;
  }
  return config.smsProviderUrl ? new HttpSmsProvider(config.smsProviderUrl, config.smsProviderKey ?? '') : undefined;
}

/**
 * The `notification.send` job. Safe to run any number of times for one notification:
 *
 * 1. A notification that is no longer `queued` is done; the job ends.
 * 2. Without a provider for its channel it becomes `local` (the offline outbox).
 * 3. Mark, then send: a conditional update takes a sending lease (`sending_until`) and counts the
 *    attempt before the provider is called, so a second worker running the same job (the jobs
 *    lock lapsed, a duplicate job) finds the lease taken and backs off instead of sending too.
 * 4. Only after the provider accepted it is it marked `sent`, which also drops `render_data`.
 *
 * The honest at-least-once window: if the process dies (or the database is unreachable) after the
 * provider accepted the message and before step 4 commits, nothing records that it went out. Once
 * the lease lapses (SENDING_LEASE_MS) the retried job sends it again. We prefer a rare duplicate
 * to a lost code. Duplicates are made recognisable where the provider allows: the SMS gateway gets
 * the notification id as `reference` (a gateway that deduplicates on it drops the resend), and
 * e-mail carries a Message-ID derived from the notification id.
 *
 * Provider errors: a permanent refusal marks the message failed at once; any other error releases
 * the lease and is re-thrown, so the jobs worker retries with backoff, up to MAX_SEND_ATTEMPTS.
 */
async function sendNotification(db: Db, ctx: AppContext, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.notificationId ?? '');
  const conn = db.kysely;
  const row = await repo.findNotificationRow(conn, id);
  if (row?.status !== 'queued') return;

  const provider = providerFor(ctx.config, row.channel as NotificationChannel);
  const now = ctx.clock.now();
  // Each write is a transaction of its own, so that on SQLite it shares a group commit (one fsync)
  // with whatever else commits at that moment, instead of an autocommit's fsync of its own.
  if (!provider) {
    await transaction(db, (tx) => repo.markLocal(tx, id, now.toISOString()));
    return;
  }
  const leased = await transaction(db, (tx) =>
    repo.claimForSending(tx, id, now.toISOString(), addMs(now, SENDING_LEASE_MS).toISOString()),
  );
  if (!leased) {
    const current = await repo.findNotificationRow(conn, id);
    if (current?.status !== 'queued') return;
    throw new Error(`notification ${id} is being sent by another worker`);
  }
  const attempt = row.attempts + 1;

  let result: DeliveryResult;
  try {
    result = await provider.send(outgoing(ctx, row));
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).slice(0, 500);
    const final = e instanceof PermanentDeliveryError || attempt >= MAX_SEND_ATTEMPTS;
    await transaction(db, (tx) => repo.recordFailure(tx, id, message, final));
    if (final) return;
    throw e;
  }
  // Outside the try: if this write fails the lease stays taken, so the retry waits for it to lapse
  // rather than resending at once (the window described above).
  await transaction(db, (tx) => repo.markSent(tx, id, ctx.clock.now().toISOString(), result.providerMessageId));
}

function outgoing(ctx: AppContext, row: NotificationRow): OutgoingMessage {
  const real = realText(ctx, row);
  return { reference: row.id, to: row.recipient, subject: real.subject, text: real.body };
}

/** The notifications domain's jobs, assembled with the others in `src/wiring.ts`. */
export const notificationJobHandlers: JobHandlers = {
  [JOB_SEND_NOTIFICATION]: { task: sendNotification },
};
