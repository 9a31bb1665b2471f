import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CARDS } from '../../src/payments/processor.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';

/**
 * Flat with history: no statement the app runs while serving reads a whole table that grows with
 * the business (payments, refunds, the journal, jobs, the audit log…). Every statement of a day's
 * work through the API — sales, refunds, reviews, the worker, lists, look-ups, the customer's pages,
 * logins, metrics — is captured and its plan read: SQLite's EXPLAIN QUERY PLAN must not say
 * `SCAN <table>` (a whole table, or a whole index of it, walked); PostgreSQL's EXPLAIN, with sequential scans priced out (tiny
 * test tables would otherwise make a scan the cheaper plan), must not say `Seq Scan on <table>`.
 * Each is planned as it may come to run, not for the values at hand: SQLite's with every value
 * NULL, PostgreSQL's generic plan (the one a named statement may settle on). So an index that only
 * a value makes usable — a partial index whose condition the query states with a parameter — fails.
 */
const GROWING = [
  'payments',
  'refunds',
  'refund_events',
  'terminal_journal',
  'batches',
  'jobs',
  'audit_events',
  'notifications',
  'webhook_deliveries',
  'idempotency_keys',
  'sessions',
  'disputes',
  'dispute_events',
  'dispute_messages',
  'rate_counters',
  'dispute_attachments',
];

/** Statements that read a growing table whole on purpose, and why. */
const WHOLE_TABLE_ON_PURPOSE: Array<{ pattern: RegExp; why: string }> = [
  {
    pattern: /^select "status", count\(\*\) as "n" from "disputes" where "status" <> (\?|\$1) group by "status"$/,
    why: '/metrics: disputes open by stage, read at scrape time — one pass over a status index of a small table',
  },
];

describe.each(engines())('query plans stay indexed (%s)', (engine) => {
  let h: Harness;
  const statements = new Map<string, readonly unknown[]>();
  let serving = false; // migrations and the demo seed read whole tables once, before serving
  beforeAll(async () => {
    // Admission control on (a cap never reached), so its count of the waiting jobs is read too.
    h = await openHarness(engine, { admissionMaxWaitingJobs: 1_000_000 }, undefined, {
      onQuery: (sql, parameters) => {
        if (serving && /^\s*(select|update|delete|with)\b/i.test(sql)) statements.set(sql, parameters);
      },
    });
    serving = true;
  });
  afterAll(() => h?.close());

  const call = async (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: object) => {
    const r = await h.app.inject({
      method,
      url,
      headers: method === 'POST' ? { ...headers, 'idempotency-key': `${url}-${statements.size}` } : headers,
      payload,
    });
    expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(400);
    return String(r.headers['content-type']).startsWith('application/json') ? r.json() : r.body;
  };

  it('reads no growing table whole in a day of work', async () => {
    const cashier = await h.operator('cashier');
    const supervisor = await h.operator('supervisor');
    const owner = await h.login('owner');
    const reviewer = await h.login('reviewer');
    const admin = await h.login('admin');
    const key = await h.apiKey(['payments:write', 'refunds:write', 'read']);
    const t = h.ids.terminalId;

    const sale = await call('POST', '/api/v1/payments', cashier, {
      amount: 5_000,
      card: { number: TEST_CARDS.approved },
    });
    const other = await h.sale(3_000);
    await call('POST', `/api/v1/payments/${other.id}/void`, supervisor, { refundPassword: REFUND_PASSWORD });
    const counter = await call('POST', '/api/v1/refunds', cashier, {
      paymentId: sale.id,
      amount: 1_000,
      reason: 'goods_returned',
      refundPassword: REFUND_PASSWORD,
    });
    const byKey = await call('POST', '/api/v1/refunds', key, { paymentId: sale.id, amount: 500, reason: 'other' });
    await h.drain();
    await call('GET', `/api/v1/refunds/${counter.id}`, owner);
    await call('GET', `/api/v1/refunds/${byKey.id}/receipt`, cashier);
    await call('GET', `/api/v1/payments/${sale.id}/receipt`, cashier);
    for (const q of ['', `?reference=${sale.reference}`, '?batch=1', '?voucher=1'])
      await call('GET', `/api/v1/payments${q}`, cashier);
    for (const q of ['', `?paymentId=${sale.id}`]) await call('GET', `/api/v1/refunds${q}`, owner);
    await call('GET', '/api/v1/refunds', key);
    await call('GET', '/api/v1/acquirer/refund-reviews', reviewer);
    await call('GET', `/api/v1/terminals/${t}/journal?voucher=1`, cashier);
    await call('GET', `/api/v1/terminals/${t}/batch`, cashier);
    await call('GET', '/api/v1/audit-events', owner);
    await call('GET', '/api/v1/disputes', reviewer);

    // The customer asks for a refund of a settled sale, the merchant rejects it, a dispute follows.
    const settled = await h.sale(8_000, { settled: true });
    const asked = await call(
      'POST',
      '/api/v1/public/refund-requests',
      {},
      {
        paymentReference: settled.reference,
        cardLast4: '1111',
        amount: 8_000,
        reason: 'goods_returned',
        description: 'returned the goods',
        contact: { email: 'plan@example.cn' },
      },
    );
    const secret = { 'x-tracking-secret': asked.trackingSecret };
    await call('GET', `/api/v1/public/refunds/${asked.id}`, secret);
    await call('POST', `/api/v1/refunds/${asked.id}/merchant-decision`, owner, {
      decision: 'reject',
      reason: 'no receipt shown',
      refundPassword: REFUND_PASSWORD,
    });
    const dispute = await call(
      'POST',
      '/api/v1/disputes',
      {},
      {
        refundId: asked.id,
        trackingSecret: asked.trackingSecret,
        description: 'I have the receipt',
      },
    );
    await call('GET', `/api/v1/disputes/${dispute.id}`, secret);
    await call('GET', `/api/v1/disputes/${dispute.id}`, owner);
    await h.drain();
    await h.sale(100);
    await call('POST', `/api/v1/terminals/${t}/settle`, supervisor, {});
    await call('GET', `/api/v1/terminals/${t}/settlement-receipt`, cashier);
    await call('GET', '/metrics', {});
    await call('GET', '/api/v1/backups', admin);

    const whole: string[] = [];
    for (const [text, parameters] of statements) {
      if (WHOLE_TABLE_ON_PURPOSE.some((p) => p.pattern.test(text))) continue;
      for (const table of await wholeTableReads(text, parameters)) whole.push(`${table}: ${text}`);
    }
    console.log(
      `[query plans ${engine}] ${statements.size} distinct statements read, ${whole.length} whole-table reads`,
    );
    if (process.env.PLANS_DEBUG) console.log([...statements.keys()].join('\n'));
    expect(whole.join('\n\n')).toBe('');
  });

  let prepared = 0;
  const literal = (v: unknown) =>
    v === null
      ? 'null'
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : `'${String(v).replaceAll("'", "''")}'`;
  async function wholeTableReads(text: string, parameters: readonly unknown[]): Promise<string[]> {
    if (engine === 'sqlite') {
      // Planned with every value NULL: an index that only a value makes usable (a partial index
      // whose condition the query states with a parameter) is re-planned on every run.
      const plan = await h.db.kysely.executeQuery<{ detail: string }>(
        CompiledQuery.raw(
          `explain query plan ${text}`,
          parameters.map(() => null),
        ),
      );
      return (
        plan.rows
          // `SCAN t` reads every row; `SCAN t USING INDEX i` every entry of an index, in its order.
          .map((r) => /^SCAN (\w+)\b/.exec(r.detail)?.[1])
          .filter((t): t is string => t !== undefined && GROWING.includes(t))
      );
    }
    // Planned as a named statement may come to be run: one generic plan for any values
    // (src/db/connect.ts names every statement that takes values). EXPLAIN with the values would plan for them.
    const name = `plan_check_${++prepared}`;
    return h.db.kysely.transaction().execute(async (trx) => {
      await trx.executeQuery(CompiledQuery.raw('set local enable_seqscan = off'));
      await trx.executeQuery(CompiledQuery.raw('set local plan_cache_mode = force_generic_plan'));
      await trx.executeQuery(CompiledQuery.raw(`prepare ${name} as ${text}`));
      // EXECUTE's arguments are written out: a utility statement takes no bound parameters.
      const values = parameters.map(literal).join(', ');
      const plan = await trx.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain execute ${name}${values ? `(${values})` : ''}`),
      );
      await trx.executeQuery(CompiledQuery.raw(`deallocate ${name}`));
      return plan.rows
        .map((r) => /Seq Scan on (\w+)/.exec(r['QUERY PLAN'])?.[1])
        .filter((t): t is string => t !== undefined && GROWING.includes(t));
    });
  }
});
