import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalog } from '../../src/errors.js';
import { problemLanguage, zhTitles } from '../../src/http/problem-titles.js';
import { type Harness, openHarness } from '../support/harness.js';

const DOC = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');
const zhSection = DOC.slice(DOC.indexOf('## Titles in Chinese'));
const documented = new Map(
  [...zhSection.matchAll(/^\|\s*`([a-z0-9_]+)`\s*\|\s*(.*?)\s*\|\s*$/gm)].map((m) => [m[1], m[2]]),
);

describe('problem titles in Chinese and English', () => {
  it('has a Chinese title for every code, documented in docs/errors.md word for word', () => {
    const codes = Object.keys(errorCatalog);
    expect(Object.keys(zhTitles).sort()).toEqual([...codes].sort());
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
    for (const [code, title] of Object.entries(zhTitles)) {
      expect(title.trim().length, code).toBeGreaterThan(1);
      expect(documented.get(code), code).toBe(title);
    }
  });

  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['zh-CN', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['en-US,en;q=0.9', 'en'],
    ['fr-FR, zh-CN;q=0.8, en;q=0.5', 'zh-CN'],
    ['zh-CN;q=0.3, en;q=0.7', 'en'],
    ['en;q=0, zh-TW', 'zh-CN'],
    ['de', 'en'],
  ])('reads Accept-Language %j as %s', (header, lang) => {
    expect(problemLanguage(header)).toBe(lang);
  });

  describe('on the wire', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness('sqlite');
    });
    afterAll(() => h?.close());

    it('answers a problem in the language asked for, with the same code and a Content-Language', async () => {
      const ask = (lang?: string) =>
        h.app.inject({
          method: 'POST',
          url: `/api/v1/terminals/${h.ids.terminalId}/login`,
          headers: lang ? { 'accept-language': lang } : {},
          payload: { operator: '01', password: '0000' },
        });
      const zh = await ask('zh-CN,zh;q=0.9');
      expect(zh.headers['content-language']).toBe('zh-CN');
      expect(zh.json()).toMatchObject({ code: 'invalid_credentials', title: '账号或密码错误', status: 401 });
      const en = await ask();
      expect(en.headers['content-language']).toBe('en');
      expect(en.json()).toMatchObject({ code: 'invalid_credentials', title: errorCatalog.invalid_credentials.title });
    });
  });
});
