import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Expected errors live in `<domain>.errors.ts` (issue 9 §3): a service, route or hook throws a
 * named factory of its domain (the CLI's own in `cli/cli.errors.ts`), never a `new AppError(` of
 * its own. The one exception is the catalog itself (`src/errors.ts`).
 */
const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const ALLOWED = [/\.errors\.ts$/, /^errors\.ts$/];
const CONSTRUCTION = /new\s+AppError\s*\(/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const files = tsFiles(SRC).map((path) => ({
  rel: relative(SRC, path).split('\\').join('/'),
  text: readFileSync(path, 'utf8'),
}));
const constructs = (text: string) => (text.match(CONSTRUCTION) ?? []).length;

describe('where expected errors are made', () => {
  it('the scan sees the errors files (a scan that finds nothing would pass anything)', () => {
    const homes = files.filter((f) => f.rel.endsWith('.errors.ts') && constructs(f.text) > 0).map((f) => f.rel);
    expect(homes).toEqual(expect.arrayContaining(['auth/auth.errors.ts', 'recovery/recovery.errors.ts']));
    expect(homes.length).toBeGreaterThanOrEqual(10);
  });

  it('no `new AppError(` in src/ outside *.errors.ts and src/errors.ts', () => {
    const strays = files
      .filter((f) => !ALLOWED.some((re) => re.test(f.rel)))
      .filter((f) => constructs(f.text) > 0)
      .map((f) => `${f.rel} (${constructs(f.text)})`);
    expect(strays).toEqual([]);
  });
});
