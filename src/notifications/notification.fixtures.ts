import { randomBytes } from 'node:crypto';
import type { Harness } from '../../test/support/harness.js';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import { transaction } from '../db/transaction.js';
import { drainJobs } from '../jobs/job.service.js';
import type { NotificationInput } from './notification.js';
import { findNotificationRow } from './notification.repository.js';
import { queueNotification } from './notification.service.js';

/** What the notification tests share: messages to queue, a context that sends where told, and reads. */

export const unique = () => randomBytes(4).toString('hex');

/** The context with only the delivery settings in `over` (no SMTP or SMS gateway unless named). */
export function withConfig(ctx: AppContext, over: Partial<Config>): AppContext {
  return { ...ctx, config: { ...ctx.config, smtpUrl: undefined, smsProviderUrl: undefined, ...over } };
}

/** A one-time code by e-mail to `to` (the most secret message there is), under a fresh dedupe key. */
export function codeEmail(to: string, code: string, language: 'zh-CN' | 'en' = 'en'): NotificationInput {
  return {
    merchantId: null,
    channel: 'email',
    to,
    template: 'recovery_code',
    language,
    data: { code, minutes: 10 },
    dedupeKey: `test:${unique()}`,
  };
}

/** Queueing, sending and reading notifications on the harness `harness()` returns, with a context of the test's. */
export function notificationSteps(harness: () => Harness) {
  const drain = (ctx: AppContext) => drainJobs(harness().db, ctx);
  const queue = (ctx: AppContext, n: NotificationInput) =>
    transaction(harness().db, (trx) => queueNotification(trx, ctx, n));
  const row = async (id: string) => {
    const r = await findNotificationRow(harness().db.kysely, id);
    if (!r) throw new Error(`no notification ${id}`);
    return r;
  };
  return { drain, queue, row };
}
