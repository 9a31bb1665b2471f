import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { transaction } from '../db/transaction.js';
import * as merchants from '../merchants/merchant.service.js';
import { recordAuditNow } from './audit.service.js';
import type { AuditEvent, AuditInput } from './audit-event.js';

describe.each(engines())('GET /api/v1/audit-events (%s)', (engine) => {
  let h: Harness;
  let foreignMerchantId: string;

  const probe = (merchantId: string | null, objectId: string, over: Partial<AuditInput> = {}): AuditInput => ({
    merchantId,
    actor: { kind: 'user', id: 'usr_probe' },
    action: 'probe.recorded',
    outcome: 'success',
    objectType: 'probe',
    objectId,
    ...over,
  });

  const list = async (headers: Record<string, string>, query = '') => {
    const r = await h.app.inject({ method: 'GET', url: `/api/v1/audit-events${query}`, headers });
    return r;
  };
  const events = async (headers: Record<string, string>, query = '') => {
    const r = await list(headers, query);
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { data: AuditEvent[]; nextCursor: string | null };
  };

  beforeAll(async () => {
    h = await openHarness(engine);
    const acquirer = await transaction(h.db, (tx) => merchants.createAcquirer(tx, h.ctx, 'Foreign Acquirer'));
    const foreign = await merchants.createMerchant(h.db, h.ctx, {
      name: 'Foreign Shop',
      acquirerId: acquirer.id,
      refundPassword: '583920',
    });
    foreignMerchantId = foreign.id;
    for (let i = 1; i <= 5; i++) {
      h.clock.advance(60_000);
      await recordAuditNow(h.db, h.ctx, probe(h.ids.merchantId, `main_${i}`));
    }
    await recordAuditNow(h.db, h.ctx, probe(h.ids.otherMerchantId, 'other_1'));
    await recordAuditNow(h.db, h.ctx, probe(foreignMerchantId, 'foreign_1'));
    await recordAuditNow(h.db, h.ctx, probe(null, 'platform_1'));
  });
  afterAll(() => h?.close());

  it('shows an owner their own merchant’s events only, newest first, with hashes', async () => {
    const owner = await h.login('owner');
    const page = await events(owner, '?limit=100');
    expect(page.data.length).toBeGreaterThanOrEqual(5);
    expect(new Set(page.data.map((e) => e.merchantId))).toEqual(new Set([h.ids.merchantId]));
    const mine = page.data.filter((e) => e.action === 'probe.recorded');
    expect(mine.map((e) => e.objectId)).toEqual(['main_5', 'main_4', 'main_3', 'main_2', 'main_1']);
    expect(mine[0]).toMatchObject({
      chain: h.ids.merchantId,
      actor: { kind: 'user', id: 'usr_probe' },
      outcome: 'success',
      objectType: 'probe',
      details: {},
    });
    expect(mine[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(mine[0].seq).toBeGreaterThan(mine[1].seq);
  });

  it('gives another merchant’s owner none of them, and a 404 for the first merchant’s log', async () => {
    const other = await h.login('otherOwner');
    const page = await events(other, '?limit=100');
    expect(page.data.every((e) => e.merchantId === h.ids.otherMerchantId)).toBe(true);
    expect(page.data.map((e) => e.objectId)).toContain('other_1');
    const r = await list(other, `?merchantId=${h.ids.merchantId}`);
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe('not_found');
    expect((await list(other, '?merchantId=platform')).statusCode).toBe(404);
  });

  it('shows an acquirer reviewer the merchants of its acquirer, not other acquirers’ nor the platform’s', async () => {
    const reviewer = await h.login('reviewer');
    const page = await events(reviewer, '?limit=100&action=probe.recorded');
    const seen = page.data.map((e) => e.objectId);
    expect(seen).toEqual(expect.arrayContaining(['main_1', 'main_5', 'other_1']));
    expect(seen).not.toContain('foreign_1');
    expect(seen).not.toContain('platform_1');
    const one = await events(reviewer, `?merchantId=${h.ids.otherMerchantId}&action=probe.recorded`);
    expect(one.data.map((e) => e.objectId)).toEqual(['other_1']);
    expect((await list(reviewer, `?merchantId=${foreignMerchantId}`)).statusCode).toBe(404);
  });

  it('shows a platform admin every chain, and the platform chain on its own', async () => {
    const admin = await h.login('admin');
    const all = await events(admin, '?limit=100&action=probe.recorded');
    expect(all.data.map((e) => e.objectId)).toEqual(
      expect.arrayContaining(['main_1', 'other_1', 'foreign_1', 'platform_1']),
    );
    const platform = await events(admin, '?merchantId=platform&action=probe.recorded');
    expect(platform.data).toHaveLength(1);
    expect(platform.data[0]).toMatchObject({ chain: 'platform', merchantId: null, objectId: 'platform_1' });
  });

  it('refuses a cashier, a supervisor, an agent and an API key with 403, and no token with 401', async () => {
    for (const headers of [
      await h.operator('cashier'),
      await h.operator('supervisor'),
      await h.login('agent'),
      await h.apiKey(['read']),
    ]) {
      const r = await list(headers);
      expect(r.statusCode).toBe(403);
      expect(r.json().code).toBe('forbidden');
    }
    expect((await list({})).statusCode).toBe(401);
  });

  it('pages with limit and cursor, newest first, without repeats', async () => {
    const owner = await h.login('owner');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await events(
        owner,
        `?limit=2&action=probe.recorded${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...page.data.map((e) => e.objectId as string));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['main_5', 'main_4', 'main_3', 'main_2', 'main_1']);
  });

  it('filters by object id and by time (from inclusive, to exclusive, any offset)', async () => {
    const owner = await h.login('owner');
    expect((await events(owner, '?objectId=main_3')).data.map((e) => e.objectId)).toEqual(['main_3']);
    // main_1..main_5 were recorded at 08:01 … 08:05 UTC
    const window = await events(
      owner,
      `?action=probe.recorded&from=${encodeURIComponent('2026-03-02T16:02:00+08:00')}&to=2026-03-02T08:04:00Z`,
    );
    expect(window.data.map((e) => e.objectId)).toEqual(['main_3', 'main_2']);
  });

  it('records every read of the log on the platform chain', async () => {
    const owner = await h.login('owner');
    await events(owner, '?objectId=main_2');
    const admin = await h.login('admin');
    const reads = await events(admin, '?merchantId=platform&action=audit_log.viewed&limit=100');
    expect(reads.data.some((e) => e.details.objectId === 'main_2' && e.actor.kind === 'user')).toBe(true);
    expect(reads.data.every((e) => e.merchantId === null)).toBe(true);
  });

  it('answers bad queries with 400 validation_failed', async () => {
    const owner = await h.login('owner');
    for (const q of ['?limit=0', '?limit=101', '?from=yesterday', '?merchantId=usr_1', '?outcome=x&limit=x']) {
      const r = await list(owner, q);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().code).toBe('validation_failed');
    }
  });

  it('describes the route and its response in the OpenAPI document', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const op = doc.paths['/api/v1/audit-events'].get;
    expect(op.tags).toEqual(['audit']);
    expect(JSON.stringify(op.responses['200'])).toContain('prevHash');
  });
});
