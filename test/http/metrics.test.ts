import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import type { LockedPayment } from '../../src/payments/payment.js';
import * as payments from '../../src/payments/payment.service.js';
import { reserveRefund } from '../../src/refunds/refund.service.js';
import { SYSTEM } from '../../src/refunds/refund.transitions.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';
import { expectProblem } from './helpers.js';

/** The value of one sample (`name{labels} value`), 0 when the series is absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Every label value in the exposition, e.g. `/api/v1/refunds/:id`, `counter`, `pending_acquirer`. */
function labelValues(text: string): string[] {
  return [...text.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/="([^"]*)"/g)].map((v) => v[1]));
}

describe.each(engines())('/metrics (%s)', (engine) => {
  let h: Harness;
  const scrape = async () => {
    const r = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return r.body;
  };
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('moves the refund, password, transaction and HTTP counters after a refund, and names no id in any label', async () => {
    const before = await scrape();
    const created = 'refunddesk_refunds_created_total';
    const counterLabels = 'channel="counter",status="pending_acquirer"';
    const sale = await h.sale(10_000, { settled: true });
    const headers = await h.operator('cashier');
    const body = { paymentId: sale.id, amount: 2_500, reason: 'goods_returned' };
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers,
      payload: { ...body, refundPassword: '000000' },
    });
    expect(wrong.statusCode).toBe(403);
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers,
      payload: { ...body, refundPassword: REFUND_PASSWORD },
    });
    expect(r.statusCode, r.body).toBe(201);
    const refund = r.json();
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/refunds/${refund.id}`, headers })).statusCode).toBe(200);
    await h.drain();

    const after = await scrape();
    expect(sample(after, created, counterLabels) - sample(before, created, counterLabels)).toBe(1);
    const amountCount = 'refunddesk_refund_amount_minor_count';
    expect(sample(after, amountCount, 'currency="CNY"') - sample(before, amountCount, 'currency="CNY"')).toBe(1);
    const outcome = ['refunddesk_refund_outcomes_total', 'channel="counter",outcome="succeeded"'] as const;
    expect(sample(after, ...outcome) - sample(before, ...outcome)).toBe(1);
    const review = ['refunddesk_refund_review_decision_seconds_count', 'stage="acquirer",decision="approved"'] as const;
    expect(sample(after, ...review) - sample(before, ...review)).toBe(1);
    const failures = ['refunddesk_secret_check_failures_total', 'secret="refund_password"'] as const;
    expect(sample(after, ...failures) - sample(before, ...failures)).toBe(1);
    const commits = ['refunddesk_db_transaction_duration_seconds_count', 'outcome="commit"'] as const;
    expect(sample(after, ...commits)).toBeGreaterThan(sample(before, ...commits));
    // The HTTP histogram: by route template, method and status.
    expect(after).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/refunds\/:id",status_code="200"\} 1$/m,
    );
    expect(after).toMatch(
      /^http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/refunds",status_code="201"\} /m,
    );
    // Gauges read from the database at scrape time, and the runtime's own.
    expect(after).toMatch(/^refunddesk_jobs_backlog\{state="due"\} 0$/m);
    expect(after).toMatch(/^refunddesk_jobs_lag_seconds 0$/m);
    expect(after).toMatch(/^refunddesk_refunds_waiting_for_review\{stage="merchant"\} \d+$/m);
    expect(after).toMatch(/^refunddesk_disputes_open\{stage="negotiating"\} 0$/m);
    expect(after).toMatch(/^refunddesk_secret_lockouts_active\{secret="refund_password"\} 0$/m);
    expect(after).toMatch(/^refunddesk_last_successful_backup_timestamp_seconds 0$/m);
    expect(after).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);

    // No id, card number, merchant or operator anywhere in the output; label values are closed sets.
    const ids = [sale.id, refund.id, h.ids.merchantId, h.ids.terminalId, '411111', '1111'];
    for (const id of ids) expect(labelValues(after).filter((v) => v.includes(id))).toEqual([]);
    expect(after).not.toMatch(/\b(pay|re|mer|trm|op|usr|dp|key|job|acq|agt)_[0-9A-Za-z]{8,}/);
    for (const v of labelValues(after)) expect(v, v).toMatch(/^(?:[a-zA-Z0-9_.+-]*|\/[a-zA-Z0-9_/:.*-]*)$/);
  });

  it('never counts a refund whose transaction rolled back', async () => {
    const sale = await h.sale(1_000);
    const before = await scrape();
    await expect(
      transaction(h.db, async (tx) => {
        const payment = (await payments.lockPayment(tx, sale.id)) as LockedPayment;
        const input = { payment, amount: 500, reason: 'other', channel: 'api', status: 'pending_acquirer' } as const;
        await reserveRefund(tx, h.ctx, input, SYSTEM, 'rolled back');
        throw new Error('the caller fails after the insert');
      }),
    ).rejects.toThrow('the caller fails');
    const after = await scrape();
    const created = ['refunddesk_refunds_created_total', 'channel="api",status="pending_acquirer"'] as const;
    expect(sample(after, ...created)).toBe(sample(before, ...created));
    const rollbacks = ['refunddesk_db_transaction_duration_seconds_count', 'outcome="rollback"'] as const;
    expect(sample(after, ...rollbacks) - sample(before, ...rollbacks)).toBe(1);
  });

  it('counts a one-time code sent, and a refund password locked by wrong entries (counter and gauge)', async () => {
    const before = await scrape();
    const sent = await h.app.inject({
      method: 'POST',
      url: `/api/v1/merchants/${h.ids.merchantId}/refund-password/recovery`,
      headers: await h.login('owner'),
      payload: { channel: 'sms' },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const sale = await h.sale(1_000);
    const headers = await h.operator('cashier');
    const payload = { paymentId: sale.id, amount: 100, reason: 'other', refundPassword: '000000' };
    for (let i = 0; i < h.ctx.config.lockoutMaxFailures; i++) {
      await h.app.inject({ method: 'POST', url: '/api/v1/refunds', headers, payload });
    }
    const after = await scrape();
    const codes = ['refunddesk_one_time_codes_sent_total', 'channel="sms"'] as const;
    expect(sample(after, ...codes) - sample(before, ...codes)).toBe(1);
    const locks = ['refunddesk_secret_lockouts_total', 'secret="refund_password"'] as const;
    expect(sample(after, ...locks) - sample(before, ...locks)).toBe(1);
    expect(sample(after, 'refunddesk_secret_lockouts_active', 'secret="refund_password"')).toBe(1);
  });

  it('answers /readyz 200 with the worker off on purpose, 503 naming a pending migration', async () => {
    const ok = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ready', failed: [], checks: { worker: { state: 'disabled' } } });
    const last = (await sql<{ name: string }>`select max(name) as name from kysely_migration`.execute(h.db.kysely))
      .rows[0].name;
    await sql`delete from kysely_migration where name = ${last}`.execute(h.db.kysely);
    try {
      const r = await h.app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({
        status: 'not_ready',
        failed: ['migrations'],
        checks: { database: { ok: true }, migrations: { ok: false, pending: [last] } },
      });
      expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200); // alive all the same
    } finally {
      const at = new Date().toISOString();
      await sql`insert into kysely_migration (name, timestamp) values (${last}, ${at})`.execute(h.db.kysely);
    }
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('/readyz and the worker', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('sqlite', { worker: true }); // configured to run one, none started yet
  });
  afterAll(() => h?.close());

  it('is 503 while the configured worker is not running, 200 while it runs, 503 once it stopped', async () => {
    const ready = async () => {
      const r = await h.app.inject({ method: 'GET', url: '/readyz' });
      return { status: r.statusCode, body: r.json() };
    };
    expect(await ready()).toMatchObject({
      status: 503,
      body: { failed: ['worker'], checks: { worker: { state: 'stopped' } } },
    });
    const { attachWorker } = await import('../../src/runtime.js');
    const worker = attachWorker({ db: h.db, ctx: h.ctx });
    expect(await ready()).toMatchObject({ status: 200, body: { checks: { worker: { ok: true, state: 'running' } } } });
    await worker.stop();
    expect(await ready()).toMatchObject({ status: 503, body: { failed: ['worker'] } });
  });
});

describe('/readyz without a database', () => {
  it('is 503 naming the database (and the migrations it cannot check) once the database is gone', async () => {
    const h = await openHarness('sqlite');
    try {
      await h.db.close();
      const r = await h.app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ status: 'not_ready', failed: ['database', 'migrations'] });
      expect(r.json().checks.database.ok).toBe(false);
    } finally {
      await h.close(); // closing the closed database again is a no-op; the file is removed
    }
  });
});

describe('who may read /metrics', () => {
  let open: Harness;
  let guarded: Harness;
  const TOKEN = 'scrape-token-0123456789';
  beforeAll(async () => {
    open = await openHarness('sqlite');
    guarded = await openHarness('sqlite', { metricsToken: TOKEN });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
  });
  const get = (h: Harness, remoteAddress: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'GET', url: '/metrics', remoteAddress, headers });

  it('without METRICS_TOKEN answers this machine only: 127.0.0.1 and ::1, not another host, whatever it claims', async () => {
    expect((await get(open, '127.0.0.1')).statusCode).toBe(200);
    expect((await get(open, '::1')).statusCode).toBe(200);
    const claims: Record<string, string>[] = [
      {},
      { 'x-forwarded-for': '127.0.0.1' },
      { authorization: `Bearer ${TOKEN}` },
    ];
    for (const headers of claims) {
      const r = await get(open, '203.0.113.7', headers);
      expect(r.statusCode).toBe(403);
      expect(expectProblem(r).code).toBe('metrics_loopback_only');
    }
  });

  it('with METRICS_TOKEN asks everyone, this machine too, for that bearer token', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: TOKEN },
    ];
    for (const headers of wrong) {
      for (const address of ['127.0.0.1', '203.0.113.7']) {
        const r = await get(guarded, address, headers);
        expect(r.statusCode).toBe(401);
        expect(expectProblem(r).code).toBe('metrics_token_required');
      }
    }
    const r = await get(guarded, '203.0.113.7', { authorization: `Bearer ${TOKEN}` });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('# TYPE refunddesk_refunds_created_total counter');
  });

  it('keeps /metrics and /readyz out of the OpenAPI document', async () => {
    const spec = (await open.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(spec.paths).filter((p) => /metrics|readyz|healthz/.test(p))).toEqual([]);
  });
});
