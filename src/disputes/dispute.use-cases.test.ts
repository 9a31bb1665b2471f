import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import { listOutbox } from '../notifications/notification.service.js';
import { codeOf, disputeFixtures } from './dispute.fixtures.js';
import * as repo from './dispute.repository.js';
import { getAttachment, postMessage } from './dispute-messages.js';
import { openingStep, step } from './dispute-step.js';
import { getDispute, listDisputes } from './dispute-view.js';
import { escalate } from './escalation.js';
import { openPaymentDispute, openRefundDispute } from './open-dispute.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const UNKNOWN = 'dp_01ZZZZZZZZZZZZZZZZZZZZZZZZ';

/** The use cases of opening, reading, writing and escalating, called as services, with their errors. */
describe.each(engines())('dispute use cases: open, read, write, escalate (%s)', (engine) => {
  let h: Harness;
  const f = disputeFixtures(() => h);

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  describe('openRefundDispute', () => {
    it('opens on a rejected refund through the step engine: row, event, both notifications, audit', async () => {
      const c = await f.rejectedRefund();
      const ip = f.nextIp();
      const opened = await openRefundDispute(h.db, h.ctx, ip, {
        refundId: c.refundId,
        trackingSecret: c.secret,
        description: 'card 4111 1111 1111 1111 was refused',
      });
      expect(opened).toEqual({
        id: expect.stringMatching(/^dp_/),
        status: 'negotiating',
        accessSecret: null,
        disputeUrl: null,
      });
      const row = await repo.findDisputeRow(h.db.kysely, opened.id);
      expect(row).toMatchObject({ status: 'negotiating', refund_id: c.refundId, customer_email: 'li.lei@example.cn' });
      expect(row?.description).not.toContain('4111 1111 1111 1111');
      const events = await repo.listEventRows(h.db.kysely, opened.id);
      expect(events.map((e) => [e.kind, e.from_status, e.to_status, e.actor_kind])).toEqual([
        ['transition', null, 'negotiating', 'customer'],
      ]);
      const audit = await listAuditEvents(h.db, h.ctx, systemActor, {
        merchantId: row?.merchant_id,
        objectId: opened.id,
        limit: 10,
      });
      expect(audit.data.map((e) => [e.action, e.ip, e.details.from, e.details.to])).toEqual([
        ['dispute.opened', ip, null, 'negotiating'],
      ]);
      const outbox = await listOutbox(h.db.kysely, { limit: 500 });
      const told = outbox.filter((n) => n.body.includes(opened.id)).map((n) => n.template);
      expect(told.sort()).toEqual(['dispute_opened_customer', 'dispute_opened_merchant']);
    });

    it.each([
      [
        'an unknown refund',
        'not_found',
        async () => ({ refundId: 're_01ZZZZZZZZZZZZZZZZZZZZZZZZ', trackingSecret: 'x'.repeat(20) }),
      ],
      [
        'the wrong tracking secret',
        'not_found',
        async () => ({ ...(await f.rejectedRefund()), trackingSecret: 'rdt_wrong-secret' }),
      ],
      ['a refund still within its review', 'dispute_not_allowed', async () => f.customerRefund()],
      [
        'a refund already disputed',
        'dispute_already_open',
        async () => {
          const d = await f.negotiating();
          return { refundId: d.refundId, trackingSecret: d.secret };
        },
      ],
    ])('refuses %s: %s', async (_, code, proof) => {
      const p = await proof();
      const input = {
        refundId: p.refundId,
        trackingSecret: (p as { trackingSecret?: string }).trackingSecret ?? (p as { secret: string }).secret,
        description: 'x',
      };
      expect(await codeOf(openRefundDispute(h.db, h.ctx, f.nextIp(), input))).toBe(code);
    });

    it('is rate-limited per address (30 in 10 minutes)', async () => {
      const ip = f.nextIp();
      const input = { refundId: 're_01ZZZZZZZZZZZZZZZZZZZZZZZZ', trackingSecret: 'x'.repeat(20), description: 'x' };
      const codes = [];
      for (let i = 0; i < 31; i++) codes.push(await codeOf(openRefundDispute(h.db, h.ctx, ip, input)));
      expect(codes.slice(0, 30).every((c) => c === 'not_found')).toBe(true);
      expect(codes[30]).toBe('rate_limited');
    });
  });

  describe('openPaymentDispute', () => {
    it('opens on a payment and answers its access secret once, storing only its hash', async () => {
      const d = await f.onPayment();
      expect(d.secret).toMatch(/^rdx_/);
      const row = await repo.findDisputeRow(h.db.kysely, d.id);
      expect(row?.access_secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(d.secret);
      expect((await getDispute(h.db, h.ctx, d.caller, d.id)).refundId).toBeNull();
    });

    it('answers the customer’s page with the secret in its fragment, and the message carries it masked in the outbox', async () => {
      const d = await f.onPayment();
      const page = `${h.ctx.config.publicBaseUrl}/refund/dispute/${d.id}?lang=zh-CN`;
      expect(d.url).toBe(`${page}#${d.secret}`);
      const sms = (await listOutbox(h.db.kysely, { limit: 500 })).find(
        (n) => n.template === 'dispute_opened_customer' && n.body.includes(d.id),
      );
      expect(sms?.body).toContain(`${page}#******`);
      expect(sms?.body).not.toContain(d.secret);
    });

    it.each([
      [
        'a wrong card',
        'payment_not_matched',
        async () => {
          const sale = await h.sale(5_000);
          return { paymentReference: sale.reference as string, cardLast4: '0000' };
        },
      ],
      [
        'a voided payment',
        'dispute_not_allowed',
        async () => {
          const sale = await h.sale(5_000);
          await f.voidSale(sale.id);
          return { paymentReference: sale.reference as string, cardLast4: (sale.card as { last4: string }).last4 };
        },
      ],
      [
        'a payment already disputed',
        'dispute_already_open',
        async () => {
          const d = await f.onPayment();
          return { paymentReference: d.sale.reference as string, cardLast4: (d.sale.card as { last4: string }).last4 };
        },
      ],
    ])('refuses %s: %s', async (_, code, proof) => {
      const input = { ...(await proof()), description: 'x', contact: { email: 'a@example.cn' } };
      expect(await codeOf(openPaymentDispute(h.db, h.ctx, f.nextIp(), input))).toBe(code);
    });

    it('is rate-limited per receipt reference (10 an hour), whatever the address', async () => {
      const sale = await h.sale(5_000);
      const input = { paymentReference: sale.reference as string, cardLast4: '0000', description: 'x', contact: {} };
      const codes = [];
      for (let i = 0; i < 11; i++) codes.push(await codeOf(openPaymentDispute(h.db, h.ctx, f.nextIp(), input)));
      expect(codes).toEqual([...Array(10).fill('payment_not_matched'), 'rate_limited']);
    });
  });

  describe('the step engine', () => {
    it('refuses a step from a state the dispute has left meanwhile, and an opening of a dispute that exists', async () => {
      const d = await f.negotiating();
      const stale = await repo.findDisputeRow(h.db.kysely, d.id);
      if (!stale) throw new Error('no dispute');
      const move = { kind: 'transition' as const, to: 'closed' as const, note: null, action: 'dispute.closed' };
      await h.db.kysely.transaction().execute((tx) => step(tx, h.ctx, stale, { kind: 'system', id: null }, move));
      const again = h.db.kysely
        .transaction()
        .execute((tx) => step(tx, h.ctx, stale, { kind: 'system', id: null }, move));
      expect(await codeOf(again)).toBe('invalid_transition');
      const closed = { ...stale, status: 'closed' };
      const back = h.db.kysely
        .transaction()
        .execute((tx) => step(tx, h.ctx, closed, { kind: 'system', id: null }, { ...move, to: 'negotiating' }));
      expect(await codeOf(back)).toBe('invalid_transition');
      const twice = h.db.kysely
        .transaction()
        .execute((tx) =>
          openingStep(tx, h.ctx, stale, { kind: 'customer', id: null }, { ...move, action: 'dispute.opened' }),
        );
      await expect(twice).rejects.toThrow();
      expect((await repo.listEventRows(h.db.kysely, d.id)).map((e) => e.to_status)).toEqual(['negotiating', 'closed']);
    });
  });

  describe('getDispute and listDisputes', () => {
    it('shows the dispute to the customer with its secret and to the merchant’s and acquirer’s people', async () => {
      const d = await f.negotiating();
      for (const caller of [d.caller, await f.staff('owner'), await f.staff('reviewer'), await f.staff('admin')]) {
        expect((await getDispute(h.db, h.ctx, caller, d.id)).id).toBe(d.id);
      }
    });

    it.each([
      ['a customer without a secret', 'unauthenticated', () => f.customer(undefined), 'own'],
      ['a wrong secret', 'not_found', () => f.customer('rdt_not-the-secret'), 'own'],
      ['an unknown dispute', 'not_found', (s: string) => f.customer(s), 'unknown'],
      ['another merchant’s owner', 'not_found', () => f.staff('otherOwner'), 'own'],
      ['another acquirer’s reviewer', 'not_found', () => f.staff('stranger'), 'own'],
      ['a cashier', 'forbidden', () => f.staff('cashier'), 'own'],
    ] as const)('refuses %s: %s', async (_, code, caller, which) => {
      const d = await f.negotiating();
      const id = which === 'unknown' ? UNKNOWN : d.id;
      expect(await codeOf(getDispute(h.db, h.ctx, await caller(d.secret), id))).toBe(code);
    });

    it('is rate-limited per customer address (300 in 10 minutes)', async () => {
      const caller = f.customer('rdt_not-the-secret');
      for (let i = 0; i < 300; i++) await codeOf(getDispute(h.db, h.ctx, caller, UNKNOWN));
      expect(await codeOf(getDispute(h.db, h.ctx, caller, UNKNOWN))).toBe('rate_limited');
    });

    it('lists what each reader may see, newest first, by pages', async () => {
      const d = await f.negotiating();
      const ids = async (who: 'owner' | 'otherOwner' | 'reviewer' | 'stranger' | 'admin') =>
        (await listDisputes(h.db.kysely, await f.actor(who), { limit: 500 })).data.map((x) => x.id);
      for (const who of ['owner', 'reviewer', 'admin'] as const) expect(await ids(who)).toContain(d.id);
      for (const who of ['otherOwner', 'stranger'] as const) expect(await ids(who)).not.toContain(d.id);
      const first = await listDisputes(h.db.kysely, await f.actor('owner'), { limit: 1 });
      expect(first.data.map((x) => x.id)).toEqual([d.id]);
      const next = await listDisputes(h.db.kysely, await f.actor('owner'), {
        limit: 1,
        cursor: first.nextCursor ?? '',
      });
      expect(next.data[0]?.id).not.toBe(d.id);
    });
  });

  describe('postMessage and getAttachment', () => {
    it('adds a message with an attachment and serves its bytes to both sides', async () => {
      const d = await f.negotiating();
      const input = {
        body: 'photo',
        attachments: [{ filename: 'sole.png', contentType: 'image/png', dataBase64: PNG }],
      };
      const after = await postMessage(h.db, h.ctx, d.caller, d.id, input);
      const [file] = after.messages[0].attachments;
      for (const caller of [d.caller, await f.staff('supervisor')]) {
        const a = await getAttachment(h.db, h.ctx, caller, d.id, file.id);
        expect(a.data.equals(Buffer.from(PNG, 'base64'))).toBe(true);
      }
      expect(await codeOf(getAttachment(h.db, h.ctx, d.caller, d.id, 'dpa_01ZZZZZZZZZZZZZZZZZZZZZZZZ'))).toBe(
        'not_found',
      );
    });

    const png = (over: Partial<{ filename: string; contentType: string; dataBase64: string }> = {}) => ({
      filename: 'a.png',
      contentType: 'image/png',
      dataBase64: PNG,
      ...over,
    });
    it.each([
      ['the platform', 'forbidden', 'admin', [], 'negotiating'],
      ['the acquirer before escalation', 'invalid_transition', 'reviewer', [], 'negotiating'],
      ['the merchant once ruled', 'invalid_transition', 'owner', [], 'ruled'],
      [
        'a file type not accepted',
        'attachment_type_not_allowed',
        'owner',
        [png({ contentType: 'image/gif' })],
        'negotiating',
      ],
      [
        'bytes that are not the type',
        'attachment_content_mismatch',
        'owner',
        [png({ dataBase64: 'aGVsbG8=' })],
        'negotiating',
      ],
      [
        'a file too large',
        'attachment_too_large',
        'owner',
        [png({ dataBase64: 'A'.repeat(1_500_000) })],
        'negotiating',
      ],
      ['text that is not base64', 'validation_failed', 'owner', [png({ dataBase64: '!!!!' })], 'negotiating'],
      ['four attachments', 'validation_failed', 'owner', [png(), png(), png(), png()], 'negotiating'],
    ] as const)('refuses a message by %s: %s', async (_, code, who, attachments, state) => {
      const d = state === 'ruled' ? await f.ruledForMerchant() : await f.negotiating();
      const p = postMessage(h.db, h.ctx, await f.staff(who), d.id, { body: 'x', attachments: [...attachments] });
      expect(await codeOf(p)).toBe(code);
      expect(await repo.listMessageRows(h.db.kysely, d.id)).toEqual([]);
    });
  });

  describe('escalate', () => {
    it('moves a negotiating dispute to the acquirer with a mediation deadline and its job', async () => {
      const d = await f.negotiating();
      const after = await escalate(h.db, h.ctx, d.caller, d.id, 'no answer');
      expect(after.status).toBe('escalated');
      expect(after.escalation?.reason).toBe('no answer');
      expect(Date.parse(after.escalation?.mediationDueAt ?? '')).toBeGreaterThan(
        Date.parse(after.escalation?.at ?? ''),
      );
    });

    it.each([
      ['by the merchant', 'forbidden', 'negotiating', 'owner'],
      ['a closed dispute', 'invalid_transition', 'closed', 'customer'],
      [
        'before the negotiation period, the merchant not having rejected',
        'dispute_escalation_too_early',
        'payment',
        'customer',
      ],
    ] as const)('refuses escalation %s: %s', async (_, code, state, who) => {
      const d =
        state === 'closed' ? await f.closed() : state === 'payment' ? await f.onPayment() : await f.negotiating();
      const caller = who === 'customer' ? d.caller : await f.staff(who);
      expect(await codeOf(escalate(h.db, h.ctx, caller, d.id, 'x'))).toBe(code);
    });
  });
});
