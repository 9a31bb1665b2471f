import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrubAfterMasking } from '../../src/db/migrate.js';
import * as maskCardNumbers from '../../src/db/migrations/015_mask_card_numbers.js';
import { type Receiver, startReceiver } from '../../src/webhooks/test-receiver.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';
import { pdfText } from '../support/pdf.js';
import { startSmsGateway, type TestSmsGateway } from '../support/sms-gateway.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';

/**
 * Issue 8 #2 (PCI DSS 3.3–3.5): a full card number typed into free text is masked before it is
 * stored, logged, e-mailed, texted, sent in a webhook, hashed into the audit chain or printed in a
 * PDF; in a structured field it is refused; a migration masks what was stored before and scrubs
 * the old bytes from the SQLite file and its WAL.
 */
const PAN = '5555555555554444';
const SPACED = '5555 5555 5555 4444';
const DASHED = '5555-5555-5555-4444';
const MASKED = '555555******4444';

/** Found however it was grouped: the digits with single spaces or dashes taken out. */
const holdsPan = (text: string) => text.replace(/(\d)[ -](?=\d)/g, '$1').includes(PAN);
const holdsPanBytes = (bytes: Buffer) =>
  [PAN, SPACED, DASHED].some(
    (form) => bytes.includes(Buffer.from(form)) || bytes.includes(Buffer.from(form, 'utf16le')),
  );

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

describe.each(engines())('card numbers typed into text (%s)', (engine) => {
  let h: Harness;
  let smtp: TestSmtp;
  let gateway: TestSmsGateway;
  let receiver: Receiver;
  const log = new Capture();
  let n = 0;
  const ip = () => `10.7.0.${++n}`;

  beforeAll(async () => {
    smtp = await startSmtp();
    gateway = await startSmsGateway();
    receiver = await startReceiver();
    h = await openHarness(
      engine,
      { smtpUrl: smtp.url, smsProviderUrl: gateway.url, smsProviderKey: 'sk_loopback' },
      log,
    );
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([smtp?.close(), gateway?.close(), receiver?.close()]);
  });

  const post = async (url: string, payload: object, headers: Record<string, string> = {}, status = 201) => {
    const r = await h.app.inject({ method: 'POST', url, headers, payload, remoteAddress: ip() });
    expect(r.statusCode, `${url} → ${r.body}`).toBe(status);
    return r.json();
  };

  it('masks it in every prose field, and it reaches no row, log line, e-mail, SMS, webhook or case-file PDF', async () => {
    const owner = await h.login('owner');
    const reviewer = await h.login('reviewer');
    const cashier = await h.operator('cashier');
    await post(
      '/api/v1/webhook-endpoints',
      { url: receiver.url, events: ['*'], description: `ERP, card ${PAN}` },
      owner,
    );

    // A counter refund with a note, and an acquirer's flag with a reason.
    const counter = await h.sale(3000, { settled: true });
    await post(
      '/api/v1/refunds',
      {
        paymentId: counter.id,
        amount: 1000,
        reason: 'other',
        refundPassword: REFUND_PASSWORD,
        note: `customer card ${PAN}`,
      },
      cashier,
    );
    await post(`/api/v1/payments/${counter.id}/flag`, { flagged: true, reason: `read out ${SPACED}` }, reviewer, 200);

    // A customer's request, rejected with a reason: e-mail and SMS tell the customer.
    const sale = await h.sale(10_000);
    const asked = await post('/api/v1/public/refund-requests', {
      paymentReference: sale.reference,
      cardLast4: '1111',
      amount: 6000,
      reason: 'goods_returned',
      description: `charged on my other card ${SPACED} too`,
      contact: { email: 'li.lei@example.cn', phone: '13800138000' },
      language: 'en',
    });
    const rejected = await post(
      `/api/v1/refunds/${asked.id}/merchant-decision`,
      { decision: 'reject', reason: `we refunded ${DASHED} already` },
      owner,
      200,
    );
    expect(rejected.decisionReason).toBe(`we refunded ${MASKED} already`);

    // The dispute: description, message, escalation, ruling, referral.
    const secret = asked.trackingSecret as string;
    const dp = await post('/api/v1/disputes', {
      refundId: asked.id,
      trackingSecret: secret,
      description: `my card is ${PAN}`,
    });
    await post(`/api/v1/disputes/${dp.id}/messages`, { secret, body: `again:\n${DASHED}` });
    await post(`/api/v1/disputes/${dp.id}/escalate`, { secret, reason: `card ${PAN}` }, {}, 200);
    await post(
      `/api/v1/disputes/${dp.id}/decision`,
      { outcome: 'resolved_for_merchant', ruling: `the card ${SPACED} was refunded` },
      reviewer,
      200,
    );
    const referral = await post(`/api/v1/disputes/${dp.id}/refer`, { secret, reason: `card ${PAN}` });
    await h.drain();

    const pdf = await h.app.inject({ method: 'GET', url: `${referral.shareLink.url}?format=pdf`, remoteAddress: ip() });
    expect(pdf.statusCode).toBe(200);
    const pdfTextContent = await pdfText(pdf.rawPayload);
    expect(pdfTextContent).toContain(MASKED);

    const mails = smtp.messages.map((m) => `${m.subject}\n${m.text ?? ''}\n${m.html || ''}`).join('\n');
    const texts = gateway.requests.map((r) => JSON.stringify(r.body)).join('\n');
    const webhooks = receiver.received.map((w) => w.rawBody).join('\n');
    expect(smtp.to('li.lei@example.cn').length, 'the customer was e-mailed').toBeGreaterThan(0);
    expect(mails).toContain(MASKED);
    expect(gateway.to('+8613800138000').join('\n')).toContain(MASKED);
    expect(receiver.received.length, 'webhooks were sent').toBeGreaterThan(0);

    const sinks = { log: log.text, mails, texts, webhooks, pdf: pdfTextContent };
    for (const [sink, text] of Object.entries(sinks)) expect(holdsPan(text), sink).toBe(false);
    const audit = await h.db.kysely.selectFrom('audit_events').select('details').execute();
    expect(holdsPan(audit.map((a) => a.details).join('\n')), 'audit chain').toBe(false);
    expect(await dbHoldsPan(), 'database').toBe(false);
  }, 60_000);

  it('refuses it in a structured field: an API key name, a webhook URL, an e-mail address', async () => {
    const owner = await h.login('owner');
    for (const [url, payload] of [
      ['/api/v1/api-keys', { name: `till ${PAN}`, scopes: ['payments:write'] }],
      ['/api/v1/webhook-endpoints', { url: `https://erp.example.com/hooks/${PAN}`, events: ['*'] }],
      [
        '/api/v1/public/refund-requests',
        {
          paymentReference: '000000000000',
          cardLast4: '1111',
          amount: 100,
          reason: 'other',
          description: 'd',
          contact: { email: `${PAN}@example.com` },
        },
      ],
    ] as const) {
      const r = await h.app.inject({ method: 'POST', url, headers: owner, payload, remoteAddress: ip() });
      expect(r.statusCode, `${url} → ${r.body}`).toBe(422);
      expect(r.json().code).toBe('card_number_not_allowed');
    }
  });

  it('masks the numbers stored before the rule, and their bytes leave the database files (migration 015)', async () => {
    const owner = await h.login('owner');
    const sale = await h.sale(2000, { settled: true });
    const refund = await post(
      '/api/v1/refunds',
      {
        paymentId: sale.id,
        amount: 500,
        reason: 'other',
        refundPassword: REFUND_PASSWORD,
        note: 'before the rule',
      },
      owner,
    );
    const k = h.db.kysely;
    // What the old code stored: the number in clear in a note, an event and a job's JSON.
    await k
      .updateTable('refunds')
      .set({ note: `old note ${SPACED}` })
      .where('id', '=', refund.id)
      .execute();
    await k
      .updateTable('refund_events')
      .set({ note: `old ${PAN}` })
      .where('refund_id', '=', refund.id)
      .execute();
    await k
      .insertInto('jobs')
      .values({
        id: 'job_old_pan',
        kind: 'test.old',
        payload: JSON.stringify({ note: `card ${PAN}`, at: 1_772_438_400_000 }),
        run_at: '2099-01-01T00:00:00.000Z',
        attempts: 0,
        locked_by: null,
        locked_until: null,
        last_error: null,
        created_at: '2026-03-02T08:00:00.000Z',
      } as never)
      .execute();
    if (engine === 'sqlite') expect(await dbHoldsPan(), 'the clear number is in the file before').toBe(true);

    await maskCardNumbers.up(k as never);
    await scrubAfterMasking(h.db);

    const row = await k.selectFrom('refunds').select('note').where('id', '=', refund.id).executeTakeFirstOrThrow();
    expect(row.note).toBe(`old note ${MASKED}`);
    const job = await k.selectFrom('jobs').select('payload').where('id', '=', 'job_old_pan').executeTakeFirstOrThrow();
    expect(JSON.parse(job.payload)).toEqual({ note: `card ${MASKED}`, at: 1_772_438_400_000 });
    expect(await dbHoldsPan(), 'database after the migration').toBe(false);
    await k.deleteFrom('jobs').where('id', '=', 'job_old_pan').execute();
  });

  /** SQLite: the bytes of the file and its WAL. PostgreSQL: every text column of every row. */
  async function dbHoldsPan(): Promise<boolean> {
    if (engine === 'sqlite') {
      const file = h.ctx.config.databaseUrl.replace(/^sqlite:(\/\/)?/, '');
      return [file, `${file}-wal`].some((f) => existsSync(f) && holdsPanBytes(readFileSync(f)));
    }
    const tables = await h.db.kysely.introspection.getTables();
    for (const t of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(t.name)}`.execute(h.db.kysely);
      if (holdsPan(JSON.stringify(rows.rows))) return true;
    }
    return false;
  }
});
