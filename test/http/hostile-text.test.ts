import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as normalisedContacts from '../../src/db/migrations/014_normalised_contacts.js';
import { refundReasons } from '../../src/refunds/refund.js';
import { DEMO } from '../../src/seed/demo.js';
import { engines } from '../support/engines.js';
import { type Harness, openHarness, REFUND_PASSWORD } from '../support/harness.js';
import { expectProblem } from './helpers.js';

/**
 * Issue 8 #1: every string field of every route (body, query and path, as the OpenAPI document
 * lists them) gets each hostile value; each must be a 4xx problem decided where input enters (the
 * schema), no 5xx, and nothing may be stored. The sweep is driven by the OpenAPI document, so a new
 * route or field is swept without editing this file; a route without a valid sample below fails
 * the completeness test.
 */

type Who = 'none' | 'owner' | 'reviewer' | 'agent' | 'admin' | 'cashier' | 'supervisor';
interface Ids {
  merchantId: string;
  terminalId: string;
  saleId: string;
}
interface Sample {
  who: Who;
  /** Path parameters (the OpenAPI `{name}`s). */
  path?: (ids: Ids) => Record<string, string>;
  query?: Record<string, string>;
  body?: (ids: Ids) => Record<string, unknown>;
}

const RE = 're_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
const DP = 'dp_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
const WHE = 'whe_01ZZZZZZZZZZZZZZZZZZZZZZZZ';
const SECRET = 'AAAAAAAAAAAAAAAAAAAAAAAA';
const NEW_PASSWORD = 'Hostile-Input-2026!';
const newPasswords = { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD };
const customer = { secret: SECRET };

/** A request each route accepts as to its shape (it may still be refused later: 403, 404, 409…). */
const samples: Record<string, Sample> = {
  'POST /api/v1/auth/login': { who: 'none', body: () => ({ email: DEMO.owner.email, password: 'wrong-password' }) },
  'POST /api/v1/terminals/{terminalId}/login': {
    who: 'none',
    path: (i) => ({ terminalId: i.terminalId }),
    body: () => ({ operator: '99', password: '000000' }),
  },
  'POST /api/v1/api-keys': { who: 'owner', body: () => ({ name: 'till', scopes: ['payments:write'] }) },
  'GET /api/v1/api-keys': { who: 'owner', query: { cursor: 'x' } },
  'GET /api/v1/terminals': { who: 'owner', query: { cursor: 'x' } },
  'POST /api/v1/payments': {
    who: 'cashier',
    body: () => ({ amount: 100, currency: 'CNY', card: { number: '4111111111111112' } }),
  },
  'GET /api/v1/payments': { who: 'cashier', query: { cursor: 'x' } },
  'POST /api/v1/payments/{id}/void': {
    who: 'cashier',
    path: (i) => ({ id: i.saleId }),
    body: () => ({ refundPassword: '000000' }),
  },
  'POST /api/v1/payments/{id}/flag': {
    who: 'reviewer',
    path: () => ({ id: 'pay_01ZZZZZZZZZZZZZZZZZZZZZZZZ' }),
    body: () => ({ flagged: true, reason: 'looks odd' }),
  },
  'POST /api/v1/refunds': {
    who: 'cashier',
    body: (i) => ({
      paymentId: i.saleId,
      amount: 1_000_000,
      currency: 'CNY',
      reason: 'other',
      refundPassword: REFUND_PASSWORD,
      note: 'n',
    }),
  },
  'GET /api/v1/refunds': { who: 'cashier', query: { cursor: 'x', paymentId: 'pay_01ZZZZZZZZZZZZZZZZZZZZZZZZ' } },
  'POST /api/v1/refunds/{id}/cancel': { who: 'owner', path: () => ({ id: RE }), body: () => ({ reason: 'r' }) },
  'POST /api/v1/refunds/{id}/merchant-decision': {
    who: 'owner',
    path: () => ({ id: RE }),
    body: () => ({ decision: 'reject', reason: 'r', refundPassword: REFUND_PASSWORD }),
  },
  'POST /api/v1/refunds/{id}/acquirer-decision': {
    who: 'reviewer',
    path: () => ({ id: RE }),
    body: () => ({ decision: 'reject', reason: 'r' }),
  },
  'GET /api/v1/acquirer/refund-reviews': { who: 'reviewer', query: { cursor: 'x' } },
  'POST /api/v1/public/refund-requests': {
    who: 'none',
    body: () => ({
      paymentReference: '000000000000',
      cardLast4: '1111',
      amount: 100,
      reason: 'other',
      description: 'd',
      contact: { email: 'kim@example.com', phone: '13800138000' },
    }),
  },
  'GET /api/v1/public/refunds/{id}': {
    who: 'none',
    path: () => ({ id: RE }),
    query: { secret: SECRET, contact: 'k@e.c' },
  },
  'POST /api/v1/public/refunds/{id}/cancel': { who: 'none', path: () => ({ id: RE }), body: () => customer },
  'POST /api/v1/disputes': {
    who: 'none',
    body: () => ({
      paymentReference: '000000000000',
      cardLast4: '1111',
      description: 'd',
      contact: { email: 'kim@example.com', phone: '13800138000' },
    }),
  },
  'GET /api/v1/disputes': { who: 'owner', query: { cursor: 'x' } },
  'GET /api/v1/disputes/{id}': { who: 'none', path: () => ({ id: DP }), query: customer },
  'POST /api/v1/disputes/{id}/messages': {
    who: 'none',
    path: () => ({ id: DP }),
    body: () => ({
      body: 'b',
      ...customer,
      attachments: [{ filename: 'a.txt', contentType: 'text/plain', dataBase64: 'YQ==' }],
    }),
  },
  'GET /api/v1/disputes/{id}/attachments/{attachmentId}': {
    who: 'none',
    path: () => ({ id: DP, attachmentId: 'dpa_01ZZZZZZZZZZZZZZZZZZZZZZZZ' }),
    query: customer,
  },
  'POST /api/v1/disputes/{id}/escalate': {
    who: 'none',
    path: () => ({ id: DP }),
    body: () => ({ ...customer, reason: 'r' }),
  },
  'POST /api/v1/disputes/{id}/decision': {
    who: 'reviewer',
    path: () => ({ id: DP }),
    body: () => ({ outcome: 'resolved_for_merchant', ruling: 'r' }),
  },
  'POST /api/v1/disputes/{id}/refer': {
    who: 'none',
    path: () => ({ id: DP }),
    body: () => ({ ...customer, reason: 'r' }),
  },
  'POST /api/v1/disputes/{id}/close': {
    who: 'none',
    path: () => ({ id: DP }),
    body: () => ({ ...customer, outcome: 'withdrawn', note: 'n' }),
  },
  'POST /api/v1/disputes/{id}/rating': {
    who: 'none',
    path: () => ({ id: DP }),
    body: () => ({ ...customer, score: 5, comment: 'c' }),
  },
  'GET /api/v1/public/case-files/{token}': { who: 'none', path: () => ({ token: SECRET }) },
  'GET /api/v1/audit-events': { who: 'owner', query: { cursor: 'x', action: 'refund.created', objectId: RE } },
  'PUT /api/v1/merchants/{id}/refund-password': {
    who: 'owner',
    path: (i) => ({ id: i.merchantId }),
    body: () => ({ currentPassword: '000000', ...newPasswords }),
  },
  'PUT /api/v1/auth/password': { who: 'owner', body: () => ({ currentPassword: 'wrong-password', ...newPasswords }) },
  'POST /api/v1/terminals/{id}/operators/{code}/password-reset': {
    who: 'supervisor',
    path: (i) => ({ id: i.terminalId, code: '99' }),
    body: () => ({ temporaryPassword: NEW_PASSWORD }),
  },
  'GET /api/v1/terminals/{id}/operators': { who: 'supervisor', path: (i) => ({ id: i.terminalId }) },
  'POST /api/v1/terminals/{id}/operators': {
    who: 'supervisor',
    path: (i) => ({ id: i.terminalId }),
    body: () => ({ code: '98', password: NEW_PASSWORD }),
  },
  'DELETE /api/v1/terminals/{id}/operators/{code}': {
    who: 'supervisor',
    path: (i) => ({ id: i.terminalId, code: '97' }),
  },
  'POST /api/v1/agent/unlock-codes': {
    who: 'agent',
    body: (i) => ({ terminalId: i.terminalId, challenge: '0000000000' }),
  },
  'POST /api/v1/terminals/{id}/refund-password/reset': {
    who: 'supervisor',
    path: (i) => ({ id: i.terminalId }),
    body: () => ({ unlockCode: '00000000', ...newPasswords }),
  },
  'POST /api/v1/merchants/{id}/refund-password/recovery/verify': {
    who: 'owner',
    path: (i) => ({ id: i.merchantId }),
    body: () => ({ code: '000000', ...newPasswords }),
  },
  'POST /api/v1/webhook-endpoints': {
    who: 'owner',
    body: () => ({ url: 'ftp://x', events: ['refund.*'], description: 'd' }),
  },
  'GET /api/v1/webhook-endpoints': { who: 'owner', query: { cursor: 'x' } },
  'GET /api/v1/webhook-endpoints/{id}': { who: 'owner', path: () => ({ id: WHE }) },
  'DELETE /api/v1/webhook-endpoints/{id}': { who: 'owner', path: () => ({ id: WHE }) },
  'DELETE /api/v1/api-keys/{id}': { who: 'owner', path: () => ({ id: 'key_01ZZZZZZZZZZZZZZZZZZZZZZZZ' }) },
  'GET /api/v1/terminals/{id}': { who: 'owner', path: (i) => ({ id: i.terminalId }) },
  'GET /api/v1/public/terminals/{serial}': { who: 'none', path: () => ({ serial: 'T-0001' }) },
  'GET /api/v1/backups': { who: 'admin', query: { cursor: 'x' } },
  'GET /api/v1/backups/{id}': { who: 'admin', path: () => ({ id: 'bkp_01ZZZZZZZZZZZZZZZZZZZZZZZZ' }) },
  'GET /api/v1/backups/{id}/file': { who: 'admin', path: () => ({ id: 'bkp_01ZZZZZZZZZZZZZZZZZZZZZZZZ' }) },
  'POST /api/v1/terminals/{id}/settle': { who: 'supervisor', path: (i) => ({ id: i.terminalId }) },
  'GET /api/v1/terminals/{id}/batch': { who: 'cashier', path: (i) => ({ id: i.terminalId }) },
  'GET /api/v1/terminals/{id}/journal': { who: 'cashier', path: (i) => ({ id: i.terminalId }), query: { cursor: 'x' } },
  'GET /api/v1/terminals/{id}/settlement-receipt': {
    who: 'cashier',
    path: (i) => ({ id: i.terminalId }),
    query: { tz: 'Asia/Shanghai' },
  },
  // Serials that differ: whatever text is swept in, the password is never tried (no lockout).
  'POST /api/v1/terminals/{id}/reinitialize': {
    who: 'owner',
    path: (i) => ({ id: i.terminalId }),
    body: () => ({ confirmSerial: 'T-0001', confirmSerialAgain: 'T-9999', password: 'not-it', skipBackup: true }),
  },
  'GET /api/v1/merchants/{id}': { who: 'owner', path: (i) => ({ id: i.merchantId }) },
  'GET /api/v1/payments/{id}': { who: 'cashier', path: (i) => ({ id: i.saleId }) },
  'GET /api/v1/payments/{id}/receipt': { who: 'cashier', path: (i) => ({ id: i.saleId }) },
  'GET /api/v1/refunds/{id}': { who: 'owner', path: () => ({ id: RE }) },
  'GET /api/v1/refunds/{id}/receipt': { who: 'owner', path: () => ({ id: RE }) },
  'POST /api/v1/refunds/{id}/retry': { who: 'owner', path: () => ({ id: RE }) },
  'GET /api/v1/merchants/{id}/refund-policy': { who: 'owner', path: (i) => ({ id: i.merchantId }) },
  'PUT /api/v1/merchants/{id}/refund-policy': {
    who: 'owner',
    path: (i) => ({ id: i.merchantId }),
    body: () => ({
      windowDays: 30,
      partialAllowed: true,
      reasons: [...refundReasons],
      merchantAutoApproveUpTo: 0,
      acquirerManualReviewAbove: 100_000,
      merchantReviewHours: 48,
    }),
  },
  'GET /api/v1/disputes/{id}/case-file': { who: 'owner', path: () => ({ id: DP }) },
  'GET /api/v1/merchants/{id}/refund-password/status': { who: 'owner', path: (i) => ({ id: i.merchantId }) },
  'GET /api/v1/merchants/{id}/password-policy': { who: 'owner', path: (i) => ({ id: i.merchantId }) },
  'PUT /api/v1/merchants/{id}/password-policy': { who: 'owner', path: (i) => ({ id: i.merchantId }), body: () => ({}) },
  'POST /api/v1/terminals/{id}/unlock-challenge': { who: 'supervisor', path: (i) => ({ id: i.terminalId }) },
  'POST /api/v1/merchants/{id}/refund-password/recovery': {
    who: 'owner',
    path: (i) => ({ id: i.merchantId }),
    body: () => ({ channel: 'email' }),
  },
  'GET /api/v1/webhook-endpoints/{id}/deliveries': {
    who: 'owner',
    path: () => ({ id: WHE }),
    query: { cursor: 'x' },
  },
};

const hostileValues: Array<[string, string]> = [
  ['blank', ''],
  ['whitespace only', ' \u3000 '],
  ['tabs and newlines only', '\t\n\r\n'],
  ['a BEL control character', 'a\u0007b'],
  ['an escape sequence', 'a\u001b[31mb'],
  ['a C1 control (NEL)', 'a\u0085b'],
  ['a line separator', 'a\u2028b'],
  ['10,000 characters', 'x'.repeat(10_000)],
  ['a lone high surrogate', 'a\ud800b'],
  ['a lone low surrogate', 'a\udfffb'],
];
const FULL_WIDTH_DIGITS = '１２３４５６７８９０１２';

/** Codes the schema layer answers with (src/http/text.ts). */
const SCHEMA_CODES = ['validation_failed', 'contact_required', 'card_number_not_allowed'];
/** Fields whose content a service checks beyond the schema (bytes of a file): any 4xx will do. */
const CHECKED_BEYOND_SCHEMA = new Set(['POST /api/v1/disputes/{id}/messages body.attachments[].dataBase64']);

interface Field {
  where: 'body' | 'query' | 'path';
  /** Property names; '[]' steps into the first array item. */
  keys: string[];
}
const fieldName = (f: Field) => `${f.where}.${f.keys.join('.').replaceAll('.[]', '[]')}`;

type JsonSchema = Record<string, unknown> & {
  $ref?: string;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
};

/** Every string (not enum, not const) field of each operation of the OpenAPI document. */
function stringFields(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }) {
  const ops = new Map<string, Field[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const fields: Field[] = [];
      const walk = (s: JsonSchema | undefined, where: Field['where'], keys: string[]) => {
        if (!s) return;
        for (const alt of s.anyOf ?? []) walk(alt, where, keys);
        if (s.type === 'string' && !s.enum && s.const === undefined) fields.push({ where, keys });
        for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, where, [...keys, k]);
        if (s.items) walk(s.items, where, [...keys, '[]']);
      };
      const body = op.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined;
      walk(body?.content?.['application/json']?.schema, 'body', []);
      for (const p of (op.parameters ?? []) as Array<{ in: string; name: string; schema: JsonSchema }>) {
        if (p.in === 'query' || p.in === 'path') walk(p.schema, p.in, [p.name]);
      }
      if (fields.length > 0) ops.set(`${method.toUpperCase()} ${path}`, fields);
    }
  }
  return ops;
}

function withValue(value: unknown, keys: string[], v: string): unknown {
  if (keys.length === 0) return v;
  const [k, ...rest] = keys;
  if (k === '[]') {
    const list = Array.isArray(value) ? [...value] : [];
    list[0] = withValue(list[0], rest, v);
    return list;
  }
  const o = { ...((value ?? {}) as Record<string, unknown>) };
  o[k] = withValue(o[k], rest, v);
  return o;
}

/**
 * A URL carries bytes, not UTF-16: a lone surrogate cannot be written in one (its CESU-8 bytes are
 * read back as U+FFFD, which is fine text). Those values are sent in JSON bodies only.
 */
const expressibleIn = (f: Field, v: string) => f.where === 'body' || !/[\ud800-\udfff]/.test(v);
const encode = encodeURIComponent;

/**
 * Every table's row count: a refused request changes none of them. Except the rate counters: an
 * attachment whose bytes a service checks is counted against its sender before it is refused.
 */
async function allCounts(h: Harness): Promise<Record<string, number>> {
  const tables = (await h.db.kysely.introspection.getTables())
    .map((t) => t.name)
    .filter((t) => t !== 'rate_counters')
    .sort();
  const out: Record<string, number> = {};
  for (const t of tables) {
    const r = await h.db.kysely
      .selectFrom(t as never)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number((r as { n: unknown }).n);
  }
  return out;
}

describe.each(engines())('hostile text in every string field (%s)', (engine) => {
  let h: Harness;
  let ids: Ids;
  let ops: Map<string, Field[]>;
  let n = 0;
  const headers: Partial<Record<Who, Record<string, string>>> = {};

  /** A different client address per request, so the customer routes' rate limits never answer. */
  const send = (key: string, s: Sample, over?: { field: Field; value: string }) => {
    const [method, template] = key.split(' ');
    let path = s.path?.(ids) ?? {};
    let query = s.query ?? {};
    let body = s.body?.(ids);
    if (over?.field.where === 'path') path = { ...path, [over.field.keys[0]]: over.value };
    if (over?.field.where === 'query') query = { ...query, [over.field.keys[0]]: over.value };
    if (over?.field.where === 'body') body = withValue(body, over.field.keys, over.value) as Record<string, unknown>;
    const url = template.replace(/\{(\w+)\}/g, (_, p: string) => encode(path[p] ?? 'missing'));
    const qs = Object.entries(query)
      .map(([k, v]) => `${k}=${encode(v)}`)
      .join('&');
    n++;
    return h.app.inject({
      method: method as 'GET',
      url: qs ? `${url}?${qs}` : url,
      headers: headers[s.who] ?? {},
      remoteAddress: `10.8.${(n >> 8) & 255}.${n & 255}`,
      ...(body === undefined ? {} : { payload: body }),
    });
  };

  beforeAll(async () => {
    h = await openHarness(engine);
    const sale = await h.sale(5000);
    ids = { merchantId: h.ids.merchantId, terminalId: h.ids.terminalId, saleId: sale.id };
    headers.owner = await h.login('owner');
    headers.reviewer = await h.login('reviewer');
    headers.agent = await h.login('agent');
    headers.admin = await h.login('admin');
    headers.cashier = await h.operator('cashier');
    headers.supervisor = await h.operator('supervisor');
    ops = stringFields((await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json());
  }, 60_000);
  afterAll(() => h?.close());

  it('has a valid sample for every route with a string field, which the schema accepts', async () => {
    expect(
      [...ops.keys()].filter((k) => !samples[k]),
      'routes without a sample',
    ).toEqual([]);
    expect(
      Object.keys(samples).filter((k) => !ops.has(k)),
      'samples of no route',
    ).toEqual([]);
    for (const [key, s] of Object.entries(samples)) {
      const r = await send(key, s);
      const where = `${key} → ${r.statusCode} ${r.body.slice(0, 300)}`;
      expect(r.statusCode, where).toBeLessThan(500);
      expect([400, 401, 403, 422].includes(r.statusCode) ? r.json().code : 'ok', where).not.toMatch(
        /^(validation_failed|contact_required|card_number_not_allowed|unauthenticated|forbidden|insufficient_scope|rate_limited)$/,
      );
    }
  }, 120_000);

  it('refuses each hostile value in each field with a 4xx problem from the schema, and stores nothing', async () => {
    const before = await allCounts(h);
    const start = n;
    let fields = 0;
    for (const [key, list] of ops) {
      for (const field of list) {
        fields++;
        for (const [label, value] of hostileValues) {
          if (!expressibleIn(field, value)) continue;
          const r = await send(key, samples[key], { field, value });
          const where = `${key} ${fieldName(field)} = ${label}`;
          expect(r.statusCode, `${where} → ${r.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
          expect(r.statusCode, `${where} → ${r.body.slice(0, 300)}`).toBeLessThan(500);
          const p = expectProblem(r, where);
          if (!CHECKED_BEYOND_SCHEMA.has(`${key} ${fieldName(field)}`)) {
            expect(SCHEMA_CODES, `${where} → ${r.body.slice(0, 300)}`).toContain(p.code);
          }
        }
      }
    }
    expect(await allCounts(h)).toEqual(before);
    console.info(
      `[hostile text ${engine}] ${ops.size} routes, ${fields} string fields, ${n - start} hostile requests, 0 × 5xx`,
    );
  }, 300_000);

  it('never answers full-width digits with a 5xx', async () => {
    for (const [key, list] of ops) {
      for (const field of list) {
        const r = await send(key, samples[key], { field, value: FULL_WIDTH_DIGITS });
        expect(r.statusCode, `${key} ${fieldName(field)} → ${r.body.slice(0, 300)}`).toBeLessThan(500);
      }
    }
  }, 120_000);

  describe('contacts', () => {
    const ask = (contact: Record<string, string>, paymentReference: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/public/refund-requests',
        remoteAddress: `10.9.${(++n >> 8) & 255}.${n & 255}`,
        payload: { paymentReference, cardLast4: '1111', amount: 100, reason: 'other', description: 'd', contact },
      });
    const openDispute = (contact: Record<string, string>, paymentReference: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/disputes',
        remoteAddress: `10.9.${(++n >> 8) & 255}.${n & 255}`,
        payload: { paymentReference, cardLast4: '1111', description: 'd', contact },
      });

    it('answers a phone of spaces, tabs, newlines or dashes with a 4xx, never the old 500, and stores nothing', async () => {
      const sale = await h.sale(800);
      const before = await allCounts(h);
      for (const phone of ['      ', '\t\t', '\n\n\n', ' \t\n ', '------', '+', '( ) - .', '\u3000\u3000']) {
        for (const send of [ask, openDispute]) {
          const r = await send({ phone }, sale.reference as string);
          const p = expectProblem(r, JSON.stringify(phone));
          expect([400, 422], JSON.stringify(phone)).toContain(r.statusCode);
          if (!/[\t\n]/.test(phone)) expect(p.code, JSON.stringify(phone)).toBe('contact_required');
        }
      }
      for (const phone of ['+86 138 0013 8000\n', '138abc00138000', '12345', '1'.repeat(20)]) {
        const r = await ask({ phone }, sale.reference as string);
        expect(r.statusCode, JSON.stringify(phone)).toBe(400);
      }
      expect(await allCounts(h)).toEqual(before);
    });

    it('stores a phone as E.164 (+86 when no country code is given) and an e-mail in lower case', async () => {
      const cases: Array<[Record<string, string>, { email: string | null; phone: string | null }]> = [
        [{ phone: '138 0013 8000' }, { email: null, phone: '+8613800138000' }],
        [{ phone: '１３８－００１３－８０００' }, { email: null, phone: '+8613800138000' }],
        [{ phone: '+1 (415) 555-0100' }, { email: null, phone: '+14155550100' }],
        [{ phone: '0086 13800138000' }, { email: null, phone: '+8613800138000' }],
        [{ phone: '010-1234-5678' }, { email: null, phone: '+861012345678' }],
        [
          { email: ' Kim@Example.COM ', phone: '' },
          { email: 'kim@example.com', phone: null },
        ],
      ];
      for (const [contact, stored] of cases) {
        const sale = await h.sale(900);
        const r = await ask(contact, sale.reference as string);
        if (contact.phone === '') {
          // A blank phone beside an e-mail is still a contact that reaches nobody.
          expect(r.statusCode, r.body).toBe(422);
          const ok = await ask({ email: contact.email }, sale.reference as string);
          expect(ok.statusCode, ok.body).toBe(201);
          const row = await h.db.kysely
            .selectFrom('refunds')
            .select(['customer_email', 'customer_phone'])
            .where('id', '=', ok.json().id)
            .executeTakeFirstOrThrow();
          expect(row).toEqual({ customer_email: stored.email, customer_phone: stored.phone });
          continue;
        }
        expect(r.statusCode, `${JSON.stringify(contact)} → ${r.body}`).toBe(201);
        const row = await h.db.kysely
          .selectFrom('refunds')
          .select(['customer_email', 'customer_phone'])
          .where('id', '=', r.json().id)
          .executeTakeFirstOrThrow();
        expect(row, JSON.stringify(contact)).toEqual({ customer_email: stored.email, customer_phone: stored.phone });
      }
    });

    it('finds a refund by contact however the phone or e-mail is written, on both sides', async () => {
      const sale = await h.sale(700);
      const r = await ask({ phone: '+86 138-0013-8001', email: 'Lee@Example.com' }, sale.reference as string);
      expect(r.statusCode, r.body).toBe(201);
      const id = r.json().id as string;
      for (const contact of [
        '13800138001',
        '138 0013 8001',
        '+8613800138001',
        '１３８００１３８００１',
        'LEE@example.COM',
      ]) {
        const t = await h.app.inject({
          method: 'GET',
          url: `/api/v1/public/refunds/${id}?contact=${encodeURIComponent(contact)}`,
          remoteAddress: `10.9.${(++n >> 8) & 255}.${n & 255}`,
        });
        expect(t.statusCode, `${contact} → ${t.body}`).toBe(200);
      }
    });

    it('normalises contacts stored before the rule (migration 014)', async () => {
      const sale = await h.sale(600);
      const r = await ask({ phone: '13800138002' }, sale.reference as string);
      const id = r.json().id as string;
      const k = h.db.kysely;
      for (const [raw, want] of [
        [
          { customer_phone: '138-0013-8002\n', customer_email: 'Old@Example.COM' },
          ['+8613800138002', 'old@example.com'],
        ],
        [{ customer_phone: '------', customer_email: null }, [null, null]],
      ] as const) {
        await k.updateTable('refunds').set(raw).where('id', '=', id).execute();
        await normalisedContacts.up(k as never);
        const row = await k
          .selectFrom('refunds')
          .select(['customer_phone', 'customer_email'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        expect([row.customer_phone, row.customer_email]).toEqual(want);
      }
    });
  });

  it('masks a card number in a reviewer’s flag reason instead of answering 500', async () => {
    const sale = await h.sale(500);
    const r = await h.app.inject({
      method: 'POST',
      url: `/api/v1/payments/${sale.id}/flag`,
      headers: headers.reviewer,
      payload: { flagged: true, reason: 'customer read out 4111 1111 1111 1111 on the phone' },
    });
    expect(r.statusCode, r.body).toBe(200);
    const events = await h.db.kysely.selectFrom('audit_events').select('details').execute();
    expect(events.map((e) => e.details).join('\n')).not.toMatch(/4111 ?1111 ?1111 ?1111/);
    expect(events.map((e) => e.details).join('\n')).toContain('411111******1111');
  });
});
