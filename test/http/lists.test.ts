import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { type Harness, openHarness } from '../support/harness.js';

/** Every list answers `{data, nextCursor}`, newest first, `?limit=&cursor=` (DESIGN.md). */
describe.each(engines())('list pages (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(engine);
  });
  afterAll(() => h?.close());

  async function walk(url: string, headers: Record<string, string>, limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const r = await h.app.inject({
        method: 'GET',
        url: `${url}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        headers,
      });
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json() as { data: Array<{ id: string }>; nextCursor: string | null };
      pages.push(body.data.map((x) => x.id));
      cursor = body.nextCursor;
    } while (cursor && pages.length < 10);
    return pages;
  }

  it('pages the terminals a caller may see, newest first', async () => {
    const all = (await walk('/api/v1/terminals', await h.login('admin'), 100)).flat();
    expect(all).toEqual([h.ids.otherTerminalId, h.ids.terminalId].sort().reverse());
    expect(await walk('/api/v1/terminals', await h.login('admin'), 1)).toEqual(all.map((id) => [id]));
    expect((await walk('/api/v1/terminals', await h.login('owner'), 1)).flat()).toEqual([h.ids.terminalId]);
  });

  it('pages the merchant’s API keys, newest first', async () => {
    const owner = await h.login('owner');
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner,
        payload: { name: `till ${i}`, scopes: ['read'] },
      });
      made.push(r.json().id);
    }
    const pages = await walk('/api/v1/api-keys', owner, 2);
    expect(pages).toEqual([[made[2], made[1]], [made[0]]]);
  });
});
