import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';

describe.each(engines())('柜员管理: listing, adding and deleting a terminal’s operators (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  const url = () => `/api/v1/terminals/${h.ids.terminalId}/operators`;
  const codes = async (headers: Record<string, string>) => {
    const r = await h.app.inject({ method: 'GET', url: url(), headers });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().data.map((o: { code: string }) => o.code);
  };
  const login = (code: string, password: string) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/login`,
      payload: { operator: code, password },
    });

  it('adds a cashier who can sign on, deletes it softly (no sign-on, no session), and adds the code back', async () => {
    const supervisor = await h.operator('supervisor');
    expect(await codes(supervisor)).toEqual(['00', '01']);
    const add = await h.app.inject({
      method: 'POST',
      url: url(),
      headers: supervisor,
      payload: { code: '02', password: '4071' },
    });
    expect(add.statusCode, add.body).toBe(201);
    expect(add.json()).toMatchObject({ code: '02', role: 'cashier' });
    const again = await h.app.inject({
      method: 'POST',
      url: url(),
      headers: supervisor,
      payload: { code: '02', password: '4071' },
    });
    expect(again.json().code).toBe('already_exists');
    const session = await login('02', '4071');
    expect(session.statusCode, session.body).toBe(200);
    const token = { authorization: `Bearer ${session.json().token}` };

    const del = await h.app.inject({ method: 'DELETE', url: `${url()}/02`, headers: supervisor });
    expect(del.statusCode, del.body).toBe(204);
    expect(await codes(supervisor)).toEqual(['00', '01']);
    expect((await login('02', '4071')).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/payments', headers: token })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'DELETE', url: `${url()}/02`, headers: supervisor })).statusCode).toBe(404);

    const back = await h.app.inject({
      method: 'POST',
      url: url(),
      headers: supervisor,
      payload: { code: '02', password: '5182' },
    });
    expect(back.statusCode, back.body).toBe(201);
    expect((await login('02', '4071')).statusCode).toBe(401);
    expect((await login('02', '5182')).statusCode).toBe(200);
    const audit = await h.db.kysely
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'in', ['operator.added', 'operator.deleted'])
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['operator.added', 'operator.deleted', 'operator.added']);
  });

  it('keeps the supervisor (00) and an operator with unsettled transactions (有流水未结算)', async () => {
    const supervisor = await h.operator('supervisor');
    const owner = await h.login('owner');
    const del = (code: string, headers: Record<string, string>) =>
      h.app.inject({ method: 'DELETE', url: `${url()}/${code}`, headers });
    expect((await del('00', supervisor)).json().code).toBe('operator_not_deletable');
    expect((await del('00', owner)).json().code).toBe('operator_not_deletable');
    await h.sale(1_000); // by cashier 01, in the open batch
    const unsettled = await del('01', supervisor);
    expect(unsettled.statusCode).toBe(409);
    expect(unsettled.json().code).toBe('operator_has_unsettled');
    const zh = await h.app.inject({
      method: 'DELETE',
      url: `${url()}/01`,
      headers: { ...supervisor, 'accept-language': 'zh-CN' },
    });
    expect(zh.json().title).toBe('有流水未结算');
    const settled = await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/settle`,
      headers: supervisor,
    });
    expect(settled.statusCode, settled.body).toBe(200);
    // Another terminal's supervisor sees no such terminal; a cashier may not manage operators.
    expect((await del('01', await h.operator('supervisor', 'other'))).statusCode).toBe(404);
    expect((await del('01', await h.operator('cashier'))).statusCode).toBe(403);
    expect((await del('01', owner)).statusCode).toBe(204);
    expect(await codes(owner)).toEqual(['00', '02']);
  });
});
