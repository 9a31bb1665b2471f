import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

/**
 * Several processes starting at once on one fresh SQLite file (two `serve`s, or `serve` beside a
 * `backup`) each migrate it: one creates the tables, the others wait for it and find nothing left
 * to do. Without the shared lock two of them created the same tables and one failed to start
 * ("table acquirers already exists"). PostgreSQL's migrator takes an advisory lock of its own.
 */
const scratch = mkdtempSync(join(tmpdir(), 'refunddesk-concurrent-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('processes migrating one fresh SQLite file at once', () => {
  it.each([1, 2, 3])('all start (file %i)', async (n) => {
    const url = join(scratch, `fresh-${n}.db`);
    const runs = await Promise.all(Array.from({ length: 4 }, () => runCli(url, ['migrate'])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
  });
});
