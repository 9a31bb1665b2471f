import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import * as users from '../auth/user.service.js';
import { transaction } from '../db/transaction.js';
import * as merchants from '../merchants/merchant.service.js';
import { type Body, disputeRequests, type Headers, problemOf } from './dispute.http-fixtures.js';

describe.each(engines())('disputes over HTTP: who may do what (%s)', (engine) => {
  let h: Harness;
  const { nextIp, rejectedDispute, paymentDispute, get, post } = disputeRequests(() => h);

  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  it('authorises every dispute route by role, merchant and secret', async () => {
    const ip = nextIp();
    const { disputeId: id, secret } = await rejectedDispute(ip);
    const other = await paymentDispute(ip);
    const acq = await transaction(h.db, (tx) => merchants.createAcquirer(tx, h.ctx, 'Other Acquirer'));
    await users.createUser(h.db, h.ctx, {
      email: 'reviewer@other-acquirer.demo',
      password: 'Second-Acquirer-2026!',
      name: 'Other reviewer',
      role: 'acquirer_reviewer',
      acquirerId: acq.id,
    });
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'reviewer@other-acquirer.demo', password: 'Second-Acquirer-2026!' },
    });
    const foreignReviewer = { authorization: `Bearer ${login.json().token}` };
    const who: Record<string, Headers> = {
      owner: await h.login('owner'),
      supervisor: await h.operator('supervisor'),
      cashier: await h.operator('cashier'),
      reviewer: await h.login('reviewer'),
      admin: await h.login('admin'),
      agent: await h.login('agent'),
      otherOwner: await h.login('otherOwner'),
      otherSupervisor: await h.operator('supervisor', 'other'),
      foreignReviewer,
      apiKey: await h.apiKey(['read', 'refunds:write']),
    };
    const reads: Array<[string, string]> = [
      ['GET', `/api/v1/disputes/${id}`],
      ['GET', `/api/v1/disputes/${id}/case-file`],
    ];
    const expectations: Record<string, number> = {
      owner: 200,
      supervisor: 200,
      cashier: 403,
      reviewer: 200,
      admin: 200,
      agent: 403,
      otherOwner: 404,
      otherSupervisor: 404,
      foreignReviewer: 404,
      apiKey: 403,
    };
    for (const [method, url] of reads) {
      for (const [name, headers] of Object.entries(who)) {
        const r = await h.app.inject({ method: method as 'GET', url, headers });
        expect(r.statusCode, `${method} ${url} as ${name}: ${r.body.slice(0, 160)}`).toBe(expectations[name]);
      }
    }
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/disputes?limit=100', headers: who.otherOwner });
    expect(list.statusCode).toBe(200);
    expect(JSON.stringify(list.json())).not.toContain(id);
    const mine = await h.app.inject({ method: 'GET', url: '/api/v1/disputes?limit=100', headers: who.reviewer });
    expect(mine.json().data.map((d: Body) => d.id)).toEqual(expect.arrayContaining([id, other.disputeId]));
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/v1/disputes', headers: foreignReviewer })).json().data,
    ).toEqual([]);

    // The customer: a wrong secret, or another dispute's secret, is the same 404 as an unknown id.
    const unknownId = 'dp_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
    const wrongSecret = await get(id, { secret: 'not-the-secret', ip });
    expect(wrongSecret.statusCode).toBe(404);
    expect(problemOf(wrongSecret)).toEqual(problemOf(await get(unknownId, { secret: 'not-the-secret', ip })));
    expect((await get(id, { secret: other.secret, ip })).statusCode).toBe(404);
    expect((await get(other.disputeId, { secret, ip })).statusCode).toBe(404);
    expect((await get(id, { ip })).statusCode).toBe(401);
    expect((await get(id, { headers: { authorization: 'Bearer rds_forged' } })).statusCode).toBe(401);
    for (const [action, body] of [
      ['messages', { body: 'x' }],
      ['escalate', { reason: 'x' }],
      ['close', { outcome: 'withdrawn' }],
      ['refer', {}],
      ['rating', { score: 5 }],
    ] as const) {
      const wrong = await post(id, action, { ...body, secret: 'not-the-secret' }, { ip });
      const unknown = await post(unknownId, action, { ...body, secret: 'not-the-secret' }, { ip });
      expect(wrong.statusCode, `${action}: ${wrong.body}`).toBe(404);
      expect(problemOf(wrong)).toEqual(problemOf(unknown));
    }

    // Writing: the merchant's owner and supervisors, not a cashier, not another merchant.
    const write = (headers: Headers) => post(id, 'messages', { body: 'from the shop' }, { headers });
    expect((await write(who.supervisor)).statusCode).toBe(201);
    expect((await write(who.cashier)).statusCode).toBe(403);
    expect((await write(who.otherOwner)).statusCode).toBe(404);
    expect((await write(who.apiKey)).statusCode).toBe(403);
    expect((await write(who.admin)).statusCode).toBe(403);
    // The acquirer joins the thread only once escalated.
    expect((await write(who.reviewer)).statusCode).toBe(409);
    // Escalating and rating are the customer's: a session is not the customer.
    expect((await post(id, 'escalate', { reason: 'x' }, { headers: who.owner })).statusCode).toBe(401);
    expect((await post(id, 'close', { outcome: 'withdrawn' }, { headers: who.owner })).statusCode).toBe(403);

    // Ruling: only a reviewer of the merchant's own acquirer, and only once escalated.
    const decide = (headers: Headers) =>
      post(id, 'decision', { outcome: 'resolved_for_merchant', ruling: 'r' }, { headers });
    for (const name of ['owner', 'supervisor', 'cashier', 'admin', 'agent', 'apiKey'] as const) {
      const r = await decide(who[name]);
      expect(r.statusCode, `decision as ${name}`).toBe(403);
      expect(r.json().code).toMatch(/^(forbidden|insufficient_scope)$/);
    }
    expect((await decide(who.foreignReviewer)).statusCode).toBe(404);
    expect((await decide(who.reviewer)).json().code).toBe('invalid_transition');
    expect((await post(id, 'escalate', { secret, reason: 'x' }, { ip })).statusCode).toBe(200);
    expect((await decide(who.foreignReviewer)).statusCode).toBe(404);
    expect((await decide({})).statusCode).toBe(401);
    expect((await decide(who.reviewer)).statusCode).toBe(200);

    // Referring: the customer or the merchant's people, never the acquirer or a cashier.
    expect((await post(id, 'refer', {}, { headers: who.reviewer })).statusCode).toBe(403);
    expect((await post(id, 'refer', {}, { headers: who.cashier })).statusCode).toBe(403);
    expect((await post(id, 'refer', {}, { headers: who.otherSupervisor })).statusCode).toBe(404);
    expect((await post(id, 'refer', {}, { headers: who.supervisor })).statusCode).toBe(201);
    // Case files: never for another merchant or acquirer.
    for (const name of ['otherOwner', 'foreignReviewer'] as const) {
      const r = await h.app.inject({
        method: 'GET',
        url: `/api/v1/disputes/${id}/case-file?format=pdf`,
        headers: who[name],
      });
      expect(r.statusCode).toBe(404);
    }
  });

  // PCI DSS 10.2.2: every audit record says where the actor acted from, staff and customers alike.
  it.each([
    ['the customer, with the secret', 'customer', 'customer', null],
    ['the merchant owner, signed in', 'owner', 'user', 'merchant'],
    ['a supervisor, signed in at the terminal', 'supervisor', 'operator', 'merchant'],
  ] as const)('records the address of %s on the audit record of a message', async (_, who, kind, party) => {
    const { disputeId: id, secret } = await rejectedDispute(nextIp());
    const ip = nextIp();
    const headers =
      who === 'customer' ? undefined : who === 'owner' ? await h.login('owner') : await h.operator('supervisor');
    const r = await post(id, 'messages', { body: `from ${who}`, ...(headers ? {} : { secret }) }, { headers, ip });
    expect(r.statusCode, r.body).toBe(201);
    const message = r.json().messages.at(-1);
    expect(message.party).toBe(party ?? 'customer');
    const audit = await listAuditEvents(h.db, h.ctx, systemActor, {
      merchantId: h.ids.merchantId,
      objectId: id,
      limit: 100,
    });
    const record = audit.data.find((e) => e.action === 'dispute.message_posted' && e.details.messageId === message.id);
    expect(record?.actor.kind).toBe(kind);
    expect(record?.ip).toBe(ip);
  });
});
