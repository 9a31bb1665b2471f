import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Files a person can hold in their head (issue 9): no hand-written TypeScript file in src/ over
 * 400 lines, tests included. Migrations are history, not design; everything else splits by use
 * case (or a test file by concern, its shared steps in a `*.fixtures.ts`) when it grows.
 */
const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const LIMIT = 400;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'migrations' ? [] : files(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('source files', () => {
  it(`stay within ${LIMIT} lines, tests included (migrations aside)`, () => {
    const all = files(SRC);
    expect(all.length).toBeGreaterThan(100); // the scan found the sources
    const long = all
      .map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > LIMIT);
    expect(long).toEqual([]);
  });
});
