import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, useHarness } from '../../test/support/harness.js';
import { startSmsGateway } from '../../test/support/sms-gateway.js';
import { startSmtp } from '../../test/support/smtp.js';
import type { AppContext } from '../context.js';
import { transaction } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { codeEmail, notificationSteps, unique, withConfig } from './notification.fixtures.js';
import { MASK } from './notification.js';
import { listOutbox, notifyMerchantOwner, queueNotification, revealLocalNotification } from './notification.service.js';
import { outboxCommand } from './outbox.command.js';

/** What a message says, where it goes and what is kept of it: real SMTP, an HTTP SMS gateway, the local outbox. */
describe.each(engines())('notifications on %s', (engine) => {
  let h: Harness;
  useHarness(engine, (opened) => (h = opened));
  const { drain, queue, row } = notificationSteps(() => h);

  it('sends e-mail over real SMTP with the subject and body in Chinese and in English', async () => {
    const smtp = await startSmtp();
    try {
      const ctx = withConfig(h.ctx, { smtpUrl: smtp.url });
      const tag = unique();
      const data = { merchantName: '演示商户', at: '2026-03-02T08:00:00.000Z' };
      const zh = await queue(ctx, {
        merchantId: h.ids.merchantId,
        channel: 'email',
        to: `zh-${tag}@example.test`,
        template: 'refund_password_changed',
        language: 'zh-CN',
        data,
        dedupeKey: `test:${tag}:zh`,
      });
      const en = await queue(ctx, {
        merchantId: h.ids.merchantId,
        channel: 'email',
        to: `en-${tag}@example.test`,
        template: 'refund_password_changed',
        language: 'en',
        data: { ...data, merchantName: 'Demo Store' },
        dedupeKey: `test:${tag}:en`,
      });
      expect(zh.queued && en.queued).toBe(true);
      await drain(ctx);

      const [zhMail] = smtp.to(`zh-${tag}@example.test`);
      expect(zhMail.subject).toBe('RefundDesk：退款密码已修改');
      expect(zhMail.text).toContain('演示商户的退款密码已于 2026-03-02 16:00 (UTC+8) 修改');
      expect(zhMail.from?.text).toContain('no-reply@refunddesk.local');
      expect(zhMail.messageId).toBe(`<${zh.id}@refunddesk.local>`);
      const [enMail] = smtp.to(`en-${tag}@example.test`);
      expect(enMail.subject).toBe('RefundDesk: your refund password was changed');
      expect(enMail.text).toContain('The refund password of Demo Store was changed at 2026-03-02 16:00 (UTC+8).');

      for (const id of [zh.id, en.id]) {
        const r = await row(id);
        expect(r).toMatchObject({ status: 'sent', attempts: 1, sent_at: h.clock.now().toISOString() });
        expect(r.provider_message_id).toBe(`<${id}@refunddesk.local>`);
      }
    } finally {
      await smtp.close();
    }
  });

  it('delivers a one-time code by e-mail but stores and lists only a masked copy', async () => {
    const smtp = await startSmtp();
    try {
      const ctx = withConfig(h.ctx, { smtpUrl: smtp.url });
      const to = `code-${unique()}@example.test`;
      const { id } = await queue(ctx, codeEmail(to, '482913'));

      const before = await row(id);
      expect(before.body).toContain(MASK);
      expect(before.body).not.toContain('482913');
      const jobs = await h.db.kysely.selectFrom('jobs').select('payload').execute();
      expect(jobs.some((j) => j.payload.includes(id))).toBe(true);
      expect(jobs.some((j) => j.payload.includes('482913'))).toBe(false);

      await drain(ctx);
      const [mail] = smtp.to(to);
      expect(mail.text).toContain('Your RefundDesk verification code is 482913.');
      expect(mail.text).toContain('Never share this code');

      const after = await row(id);
      expect(after.status).toBe('sent');
      expect(after.render_data).toBeNull();
      expect(JSON.stringify(after)).not.toContain('482913');
      const listed = (await listOutbox(h.db.kysely, { limit: 50 })).find((n) => n.id === id);
      expect(listed?.body).toContain(MASK);
      expect(JSON.stringify(listed)).not.toContain('482913');
    } finally {
      await smtp.close();
    }
  });

  it('keeps no code readable in the database while a message waits or stays local, yet sends and reveals the real one', async () => {
    const allRows = async (_ctx: AppContext) =>
      JSON.stringify(await h.db.kysely.selectFrom('notifications').selectAll().execute());
    const smtp = await startSmtp();
    try {
      const live = withConfig(h.ctx, { smtpUrl: smtp.url });
      const to = `sealed-${unique()}@example.test`;
      const queued = await queue(live, codeEmail(to, '864213'));
      const waiting = await row(queued.id);
      expect(waiting.status).toBe('queued');
      expect(waiting.render_data).toMatch(/^v1\./);
      expect(await allRows(live)).not.toContain('864213');
      await drain(live);
      expect(smtp.to(to)[0]?.text).toContain('Your RefundDesk verification code is 864213.');
    } finally {
      await smtp.close();
    }

    const offline = withConfig(h.ctx, {});
    const local = await queue(offline, { ...codeEmail('13600136000', '357159'), channel: 'sms' });
    await drain(offline);
    expect(await row(local.id)).toMatchObject({ status: 'local' });
    expect(await allRows(offline)).not.toContain('357159');
    expect((await revealLocalNotification(h.db.kysely, offline, local.id)).body).toContain('357159');
    const out: string[] = [];
    await outboxCommand(
      async (fn) => void (await fn(h.db, offline)),
      (s) => out.push(s),
    ).parseAsync(['--reveal', local.id], { from: 'user' });
    expect(out[0]).toContain('357159');

    // The notification id is the sealed data's AAD: copied onto another message, it does not open.
    const other = await queue(offline, { ...codeEmail('13600136001', '951753'), channel: 'sms' });
    await drain(offline);
    const sealed = (await row(local.id)).render_data;
    await h.db.kysely.updateTable('notifications').set({ render_data: sealed }).where('id', '=', other.id).execute();
    await expect(revealLocalNotification(h.db.kysely, offline, other.id)).rejects.toThrow(/cannot be decrypted/);
  });

  it('sends an SMS to the HTTP gateway with the bearer key, the text and the notification as reference', async () => {
    const gw = await startSmsGateway();
    try {
      const ctx = withConfig(h.ctx, { smsProviderUrl: gw.url, smsProviderKey: 'sk_test_123' });
      const phone = `1380013${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}`;
      const { id } = await queue(ctx, {
        merchantId: h.ids.merchantId,
        channel: 'sms',
        to: phone,
        template: 'recovery_code',
        language: 'zh-CN',
        data: { code: '705512', minutes: 5 },
        dedupeKey: `test:${unique()}`,
      });
      await drain(ctx);

      const mine = gw.requests.filter((r) => r.body.reference === id);
      expect(mine).toHaveLength(1);
      expect(mine[0].method).toBe('POST');
      expect(mine[0].auth).toBe('Bearer sk_test_123');
      expect(mine[0].body.to).toBe(phone);
      expect(mine[0].body.text).toBe(
        '您的 RefundDesk 验证码是 705512，5 分钟内有效。切勿将验证码告诉任何人，包括客服人员。',
      );
      const r = await row(id);
      expect(r).toMatchObject({ status: 'sent', provider_message_id: `gw-${gw.requests.length}`, render_data: null });
      expect(r.body).not.toContain('705512');
    } finally {
      await gw.close();
    }
  });

  it('queues one row and sends one message for one dedupe key', async () => {
    const smtp = await startSmtp();
    try {
      const ctx = withConfig(h.ctx, { smtpUrl: smtp.url });
      const to = `dedupe-${unique()}@example.test`;
      const n = codeEmail(to, '111999');
      const first = await queue(ctx, n);
      const second = await queue(ctx, { ...n, data: { code: '222888', minutes: 10 } });
      const [third, fourth] = await transaction(h.db, async (trx) => [
        await queueNotification(trx, ctx, n),
        await queueNotification(trx, ctx, n),
      ]);
      expect(first.queued).toBe(true);
      for (const r of [second, third, fourth]) expect(r).toEqual({ id: first.id, queued: false });

      await drain(ctx);
      h.clock.advance(60 * 60_000);
      await drain(ctx);
      const mails = smtp.to(to);
      expect(mails).toHaveLength(1);
      expect(mails[0].text).toContain('111999');
      const rows = await h.db.kysely.selectFrom('notifications').select('id').where('recipient', '=', to).execute();
      expect(rows).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });

  it('queues nothing when the transaction rolls back', async () => {
    const smtp = await startSmtp();
    try {
      const ctx = withConfig(h.ctx, { smtpUrl: smtp.url });
      const to = `rollback-${unique()}@example.test`;
      const n = codeEmail(to, '300300');
      await expect(
        transaction(h.db, async (trx) => {
          await queueNotification(trx, ctx, n);
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      const rows = await h.db.kysely.selectFrom('notifications').select('id').where('recipient', '=', to).execute();
      expect(rows).toHaveLength(0);
      await drain(ctx);
      expect(smtp.to(to)).toHaveLength(0);

      // The key was never taken: the event can be queued once it really happens.
      expect((await queue(ctx, n)).queued).toBe(true);
    } finally {
      await smtp.close();
    }
  });

  it('keeps messages in the local outbox without SMTP_URL or SMS_PROVIDER_URL, and reveals them only there', async () => {
    const ctx = withConfig(h.ctx, {});
    const to = `local-${unique()}@example.test`;
    const mail = await queue(ctx, { ...codeEmail(to, '818283'), merchantId: h.ids.merchantId });
    const sms = await queue(ctx, { ...codeEmail('13700137000', '919293'), channel: 'sms' });
    await drain(ctx);
    expect(await row(mail.id)).toMatchObject({ status: 'local', attempts: 0 });
    expect(await row(sms.id)).toMatchObject({ status: 'local' });

    const listed = await listOutbox(h.db.kysely, { limit: 500, merchantId: h.ids.merchantId });
    expect(listed.map((n) => n.id)).toContain(mail.id);
    expect(listed.map((n) => n.id)).not.toContain(sms.id);
    expect(listed.every((n) => n.merchantId === h.ids.merchantId)).toBe(true);
    expect(JSON.stringify(listed)).not.toContain('818283');

    const revealed = await revealLocalNotification(h.db.kysely, ctx, mail.id);
    expect(revealed).toMatchObject({ recipient: to, channel: 'email' });
    expect(revealed.body).toContain('818283');

    // The CLI: the listing is masked, --reveal prints the real text.
    const out: string[] = [];
    const run = (args: string[]) =>
      outboxCommand(
        async (fn) => void (await fn(h.db, ctx)),
        (s) => out.push(s),
      ).parseAsync(args, { from: 'user' });
    await run(['--merchant', h.ids.merchantId, '--limit', '5']);
    expect(out[0]).toContain(mail.id);
    expect(out[0]).toContain(MASK);
    expect(out[0]).not.toContain('818283');
    await run(['--reveal', sms.id]);
    expect(out[1]).toContain('919293');

    await expect(revealLocalNotification(h.db.kysely, ctx, 'ntf_nope')).rejects.toMatchObject({ code: 'not_found' });
    const smtp = await startSmtp();
    try {
      const live = withConfig(h.ctx, { smtpUrl: smtp.url });
      const sent = await queue(live, codeEmail(`sent-${unique()}@example.test`, '474747'));
      await drain(live);
      const err = await revealLocalNotification(h.db.kysely, live, sent.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'forbidden' });
    } finally {
      await smtp.close();
    }
  });

  it('e-mails the merchant owner in the merchant’s language inside the caller’s transaction', async () => {
    const ctx = withConfig(h.ctx, {});
    const key = `test:${unique()}`;
    await transaction(h.db, (trx) =>
      notifyMerchantOwner(trx, ctx, h.ids.merchantId, 'password_expiring', { days: 7 }, key),
    );
    const [n] = await h.db.kysely.selectFrom('notifications').selectAll().where('dedupe_key', '=', key).execute();
    expect(n).toMatchObject({
      recipient: 'owner@merchant.demo',
      language: 'zh-CN',
      channel: 'email',
      merchant_id: h.ids.merchantId,
      body: '您的退款密码将在 7 天后过期，请及时在商户后台修改。',
    });

    // A merchant without a registered e-mail address is skipped without a word.
    const key2 = `test:${unique()}`;
    await transaction(h.db, async (trx) => {
      await trx.updateTable('merchants').set({ email: null }).where('id', '=', h.ids.otherMerchantId).execute();
      await notifyMerchantOwner(trx, ctx, h.ids.otherMerchantId, 'password_expiring', { days: 7 }, key2);
    });
    const none = await h.db.kysely.selectFrom('notifications').select('id').where('dedupe_key', '=', key2).execute();
    expect(none).toHaveLength(0);

    await expect(
      transaction(h.db, (trx) => notifyMerchantOwner(trx, ctx, 'mer_missing', 'password_expiring', { days: 1 }, key2)),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});
