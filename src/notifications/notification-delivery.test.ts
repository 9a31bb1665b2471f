import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, useHarness } from '../../test/support/harness.js';
import { startSmsGateway } from '../../test/support/sms-gateway.js';
import { startSmtp } from '../../test/support/smtp.js';
import { transaction } from '../db/transaction.js';
import { enqueueJob, runDueJobs } from '../jobs/job.service.js';
import { codeEmail, notificationSteps, unique, withConfig } from './notification.fixtures.js';
import { claimForSending } from './notification.repository.js';
import { queueNotification } from './notification.service.js';

/** A loopback port with nothing listening on it (yet). */
async function freePort(): Promise<number> {
  const s = await startSmtp();
  await s.close();
  return s.port;
}

/** Delivery when things fail: retries, leases, two workers at once, a gateway that refuses. */
describe.each(engines())('notification delivery on %s', (engine) => {
  let h: Harness;
  useHarness(engine, (opened) => (h = opened));
  const { drain, queue, row } = notificationSteps(() => h);

  it('retries while the SMTP server is down and then sends exactly once', async () => {
    const port = await freePort();
    const ctx = withConfig(h.ctx, { smtpUrl: `smtp://127.0.0.1:${port}/?ignoreTLS=true` });
    const to = `retry-${unique()}@example.test`;
    const { id } = await queue(ctx, codeEmail(to, '930417', 'zh-CN'));

    await drain(ctx);
    const failed = await row(id);
    expect(failed).toMatchObject({ status: 'queued', attempts: 1, sending_until: null });
    expect(failed.last_error).toMatch(/ECONNREFUSED/);
    expect(failed.last_error).not.toContain('930417');

    const smtp = await startSmtp(port);
    try {
      await drain(ctx); // the retry is not due yet: backoff
      expect(smtp.to(to)).toHaveLength(0);
      h.clock.advance(5_000);
      await drain(ctx);
      expect(smtp.to(to)).toHaveLength(1);
      expect(smtp.to(to)[0].subject).toBe('RefundDesk 验证码');
      expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2, render_data: null });

      h.clock.advance(24 * 60 * 60_000);
      await drain(ctx);
      expect(smtp.to(to)).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });

  it('sends once when two workers run the send job for one notification at the same time', async () => {
    const smtp = await startSmtp(0, 300);
    try {
      const ctx = withConfig(h.ctx, { smtpUrl: smtp.url });
      const to = `twin-${unique()}@example.test`;
      const { id } = await transaction(h.db, async (trx) => {
        const r = await queueNotification(trx, ctx, codeEmail(to, '626262'));
        await enqueueJob(trx, ctx, 'notification.send', { notificationId: r.id });
        return r;
      });
      await Promise.all([runDueJobs(h.db, ctx, 'twin-a', 1), runDueJobs(h.db, ctx, 'twin-b', 1)]);
      expect(smtp.to(to)).toHaveLength(1);
      const jobs = await h.db.kysely
        .selectFrom('jobs')
        .select(['last_error', 'done_at'])
        .where('payload', 'like', `%${id}%`)
        .execute();
      expect(jobs.map((j) => j.last_error)).toContain(`notification ${id} is being sent by another worker`);

      h.clock.advance(60_000);
      await drain(ctx);
      expect(smtp.to(to)).toHaveLength(1);
      expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1 });
    } finally {
      await smtp.close();
    }
  });

  it('sends again only after the lease of a worker that died mid-send has lapsed (the at-least-once window)', async () => {
    const smtp = await startSmtp();
    try {
      const ctx = withConfig(h.ctx, { smtpUrl: smtp.url });
      const to = `crash-${unique()}@example.test`;
      const { id } = await queue(ctx, codeEmail(to, '737373'));
      const now = h.clock.now();
      // A worker took the lease and died before recording the outcome.
      expect(
        await claimForSending(h.db.kysely, id, now.toISOString(), new Date(now.getTime() + 120_000).toISOString()),
      ).toBe(true);
      await drain(ctx);
      expect(smtp.to(to)).toHaveLength(0);
      h.clock.advance(60_000);
      await drain(ctx);
      expect(smtp.to(to)).toHaveLength(0);
      h.clock.advance(90_000);
      await drain(ctx);
      expect(smtp.to(to)).toHaveLength(1);
      expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
    } finally {
      await smtp.close();
    }
  });

  it('retries an SMS after a gateway error with the same reference, without quoting the reply', async () => {
    const gw = await startSmsGateway([503]);
    try {
      const ctx = withConfig(h.ctx, { smsProviderUrl: gw.url, smsProviderKey: 'k' });
      const { id } = await queue(ctx, { ...codeEmail('13900139000', '640028'), channel: 'sms' });
      await drain(ctx);
      const r = await row(id);
      expect(r).toMatchObject({ status: 'queued', attempts: 1, last_error: 'sms gateway answered HTTP 503' });
      h.clock.advance(5_000);
      await drain(ctx);
      const mine = gw.requests.filter((q) => q.body.reference === id);
      expect(mine).toHaveLength(2);
      expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
    } finally {
      await gw.close();
    }
  });

  it('marks a message failed at once when the gateway refuses it for good', async () => {
    const gw = await startSmsGateway([422]);
    try {
      const ctx = withConfig(h.ctx, { smsProviderUrl: gw.url, smsProviderKey: 'k' });
      const { id } = await queue(ctx, { ...codeEmail('not-a-number', '551204'), channel: 'sms' });
      await drain(ctx);
      h.clock.advance(60 * 60_000);
      await drain(ctx);
      expect(gw.requests.filter((q) => q.body.reference === id)).toHaveLength(1);
      expect(await row(id)).toMatchObject({ status: 'failed', attempts: 1, render_data: null });
    } finally {
      await gw.close();
    }
  });
});
