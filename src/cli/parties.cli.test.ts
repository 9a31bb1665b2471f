import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from '../../test/support/cli-process.js';
import { type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import { loadConfig } from '../config.js';
import { buildApp } from '../http/app.js';
import { openContext } from '../runtime.js';

/**
 * The CLI that sets up parties — acquirer, agent, merchant, terminal, operators, console users,
 * API keys — run for real on an empty SQLite database, and then the app on that same database:
 * what the CLI made must be able to sell and refund.
 */
let db: ThrowawayDatabase;
const cli = (args: string[], secrets?: Parameters<typeof runCli>[2]) => runCli(db.url, args, secrets);
function ok(r: CliRun) {
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.json();
}
function refused(r: CliRun, code: string) {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^error: ${code}: `, 'm'));
}

describe('refunddesk CLI: parties, from an empty database to a refund', () => {
  beforeAll(async () => {
    db = await throwawayDatabase('sqlite');
  });
  afterAll(() => db?.drop());

  it('answers --help for the party commands, without a database', async () => {
    // The party commands (the refund-password ones are in cli.test.ts). Two at a time: each start
    // costs a second of CPU (tsx) on a two-core machine.
    const commands = [
      [],
      ['merchant', 'create'],
      ['terminal', 'create'],
      ['operator', 'add'],
      ['user', 'create'],
      ['api-key', 'create'],
    ];
    const runs: CliRun[] = [];
    for (let i = 0; i < commands.length; i += 2) {
      const pair = commands.slice(i, i + 2).map((c) => runCli('/nonexistent/dir/never.db', [...c, '--help']));
      runs.push(...(await Promise.all(pair)));
    }
    for (const [i, r] of runs.entries()) {
      expect(r.code, `${commands[i].join(' ')} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^Usage: refunddesk/);
    }
  });

  // About twenty CLI processes in a row, each loading the TypeScript sources: a budget for a
  // loaded two-core machine, not a race (60 s was exceeded there with other suites running).
  it('creates every party, and the app then sells and refunds with them', { timeout: 240_000 }, async () => {
    const migrated = await cli(['migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    const acquirer = ok(await cli(['acquirer', 'create', '--name', 'Bank of Test']));
    const agent = ok(await cli(['agent', 'create', '--name', 'POS Agent Test']));
    refused(
      await cli(['merchant', 'create', '--name', 'Tea House', '--acquirer', acquirer.id], {
        env: { REFUND_PASSWORD: '123456' },
      }),
      'password_trivial',
    );
    const merchant = ok(
      await cli(
        ['merchant', 'create', '--name', 'Tea House / 茶馆', '--acquirer', acquirer.id, '--phone', '13700137000'],
        {
          stdin: ['684213'],
        },
      ),
    );
    expect(merchant).toMatchObject({ name: 'Tea House / 茶馆', acquirerId: acquirer.id, currency: 'CNY' });
    expect(JSON.stringify(merchant)).not.toContain('684213');
    refused(
      await cli(['terminal', 'create', '--serial', 'TH-1', '--merchant', 'mer_nope', '--agent', agent.id]),
      'not_found',
    );
    const terminal = ok(
      await cli(['terminal', 'create', '--serial', 'TH-1', '--merchant', merchant.id, '--agent', agent.id]),
    );
    refused(
      await cli(['operator', 'add', '--terminal', terminal.id, '--code', '00'], { env: { OPERATOR_PASSWORD: '1111' } }),
      'password_trivial',
    );
    ok(
      await cli(['operator', 'add', '--terminal', terminal.id, '--code', '00'], {
        env: { OPERATOR_PASSWORD: '730184' },
      }),
    );
    ok(
      await cli(['operator', 'add', '--terminal', terminal.id, '--code', '01'], { env: { OPERATOR_PASSWORD: '5172' } }),
    );
    refused(
      await cli(['operator', 'add', '--terminal', terminal.id, '--code', '01'], { env: { OPERATOR_PASSWORD: '5173' } }),
      'already_exists',
    );
    refused(
      await cli(
        [
          'user',
          'create',
          '--email',
          'boss@tea.test',
          '--name',
          'Boss',
          '--role',
          'merchant_owner',
          '--merchant',
          merchant.id,
        ],
        {
          env: { USER_PASSWORD: 'password1234' },
        },
      ),
      'password_common',
    );
    const owner = ok(
      await cli(
        [
          'user',
          'create',
          '--email',
          'boss@tea.test',
          '--name',
          'Boss',
          '--role',
          'merchant_owner',
          '--merchant',
          merchant.id,
        ],
        {
          env: { USER_PASSWORD: 'Green-Tea-Leaf-2026' },
        },
      ),
    );
    expect(JSON.stringify(owner)).not.toContain('Green-Tea-Leaf-2026');
    const key = ok(
      await cli(['api-key', 'create', '--merchant', merchant.id, '--name', 'till', '--scopes', 'read,refunds:write']),
    );
    expect(key.secret).toMatch(/^rdk_/);
    const list = ok(await cli(['merchant', 'list']));
    expect(list.map((m: { id: string }) => m.id)).toContain(merchant.id);

    // The app, on the same database: the people and the key the CLI made sell and refund.
    const { db: conn, ctx } = await openContext({ ...loadConfig({}), databaseUrl: db.url, logLevel: 'silent' });
    const app = await buildApp(conn, ctx);
    try {
      const login = await app.inject({
        method: 'POST',
        url: `/api/v1/terminals/${terminal.id}/login`,
        payload: { operator: '01', password: '5172' },
      });
      expect(login.statusCode, login.body).toBe(200);
      const cashier = { authorization: `Bearer ${login.json().token}` };
      const sale = await app.inject({
        method: 'POST',
        url: '/api/v1/payments',
        headers: cashier,
        payload: { amount: 3_800, card: { number: '4111111111111111' } },
      });
      expect(sale.statusCode, sale.body).toBe(201);
      const refund = await app.inject({
        method: 'POST',
        url: '/api/v1/refunds',
        headers: cashier,
        payload: { paymentId: sale.json().id, amount: 800, reason: 'wrong_amount', refundPassword: '684213' },
      });
      expect(refund.statusCode, refund.body).toBe(201);
      const byKey = await app.inject({
        method: 'GET',
        url: `/api/v1/refunds/${refund.json().id}`,
        headers: { authorization: `Bearer ${key.secret}` },
      });
      expect(byKey.json().amount).toBe(800);
      const boss = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'boss@tea.test', password: 'Green-Tea-Leaf-2026' },
      });
      expect(boss.statusCode, boss.body).toBe(200);
    } finally {
      await app.close();
      await conn.close();
    }

    // The audit log those steps wrote verifies; one edited row is named.
    const verified = ok(await cli(['audit', 'verify']));
    expect(verified).toMatchObject({ ok: true });
    expect(verified.events).toBeGreaterThan(0);
    const events = ok(await cli(['audit', 'list', '--merchant', merchant.id, '--limit', '50']));
    const refundEvent = events.data.find((e: { action: string }) => e.action === 'refund.created');
    expect(refundEvent).toBeDefined();
    const { db: raw } = await openContext({ ...loadConfig({}), databaseUrl: db.url, logLevel: 'silent' });
    await raw.kysely.updateTable('audit_events').set({ outcome: 'failure' }).where('id', '=', refundEvent.id).execute();
    await raw.close();
    const broken = await cli(['audit', 'verify', '--chain', merchant.id]);
    expect(broken.code).toBe(1);
    expect(broken.json()).toMatchObject({ ok: false, firstBad: { id: refundEvent.id } });
  });
});
