import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorCatalog } from '../../src/errors.js';
import { problem } from '../../src/http/problem.js';

const DOC_PATH = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));

interface DocRow {
  code: string;
  status: number;
  title: string;
  when: string;
  anchored: boolean;
}

/** The rows of the catalog table in docs/errors.md: lines starting with a code in backticks. */
function documentedRows(markdown: string): DocRow[] {
  const rows: DocRow[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`([a-z0-9_]+)`(.*?)\|\s*(\d{3})\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (!m) continue;
    rows.push({
      code: m[1],
      anchored: m[2].includes(`<a id="${m[1]}"></a>`),
      status: Number(m[3]),
      title: m[4],
      when: m[5],
    });
  }
  return rows;
}

const codes = Object.keys(errorCatalog) as (keyof typeof errorCatalog)[];
const rows = documentedRows(readFileSync(DOC_PATH, 'utf8'));
const byCode = new Map(rows.map((r) => [r.code, r]));

describe('the error catalog and docs/errors.md', () => {
  it('finds the catalog table in the docs at all', () => {
    expect(rows.length).toBeGreaterThan(10);
  });

  it('documents every code of the catalog', () => {
    const missing = codes.filter((c) => !byCode.has(c));
    expect(missing, 'codes in src/errors.ts without a row in docs/errors.md').toEqual([]);
  });

  it('documents no code that the catalog does not have', () => {
    const unknown = rows.map((r) => r.code).filter((c) => !(c in errorCatalog));
    expect(unknown, 'rows in docs/errors.md for codes not in src/errors.ts').toEqual([]);
  });

  it('documents each code once, with an anchor for its problem `type`, and says when it happens', () => {
    const seen = rows.map((r) => r.code);
    expect(seen.filter((c, i) => seen.indexOf(c) !== i)).toEqual([]);
    for (const r of rows) {
      expect(r.anchored, `${r.code} needs <a id="${r.code}"></a>`).toBe(true);
      expect(r.when.length, `${r.code} needs a "when"`).toBeGreaterThan(10);
    }
  });

  it.each(codes)('documents %s with the catalog’s status and title', (code) => {
    const row = byCode.get(code);
    expect(row, `${code} is not documented`).toBeDefined();
    expect(row?.status).toBe(errorCatalog[code].status);
    expect(row?.title).toBe(errorCatalog[code].title);
  });

  it('gives every code a 4xx status except internal_error (500, a bug) and busy (503, try again later)', () => {
    const fiveHundreds: Record<string, number> = { internal_error: 500, busy: 503 };
    for (const code of codes) {
      const { status } = errorCatalog[code];
      if (code in fiveHundreds) expect(status, code).toBe(fiveHundreds[code]);
      else expect(status, code).toBeGreaterThanOrEqual(400);
      if (!(code in fiveHundreds)) expect(status, code).toBeLessThan(500);
    }
  });

  it('points each problem `type` at the code’s row in the docs', () => {
    for (const code of codes) {
      const p = problem(code, 'req_test');
      expect(p.type).toBe(`/docs/errors#${code}`);
      expect(p).toMatchObject({ code, status: errorCatalog[code].status, title: errorCatalog[code].title });
    }
  });

  it('never lets an extension member overwrite status, code, type, title or requestId', () => {
    const p = problem('invalid_transition', 'req_real', 'detail', {
      status: 'canceled',
      code: 'other',
      type: 'x',
      title: 't',
      requestId: 'forged',
      refundStatus: 'canceled',
    });
    expect(p).toMatchObject({
      status: 409,
      code: 'invalid_transition',
      type: '/docs/errors#invalid_transition',
      title: errorCatalog.invalid_transition.title,
      requestId: 'req_real',
      refundStatus: 'canceled',
    });
  });
});
