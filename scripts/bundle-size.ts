/**
 * The JavaScript a browser loads for `/terminal`, gzipped: the entry chunk, the terminal's lazy
 * chunk and every chunk they import, read from the build's manifest. `npm run size` prints it;
 * test/web/bundle-size.test.ts fails above the budget.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const TERMINAL_BUDGET_BYTES = 200 * 1024;
const DIST = fileURLToPath(new URL('../dist/web', import.meta.url));

interface Chunk {
  file: string;
  imports?: string[];
}

export function pageScripts(entries: string[], dist = DIST): string[] {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    const chunk = manifest[key];
    if (!chunk) throw new Error(`${key} is not in the build manifest`);
    seen.add(key);
    for (const dep of chunk.imports ?? []) visit(dep);
  };
  for (const e of entries) visit(e);
  return [...seen].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
}

export function gzippedBytes(files: string[], dist = DIST): number {
  return files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f)), { level: 9 }).length, 0);
}

export function terminalBundle(dist = DIST): { files: string[]; gzipped: number } {
  const files = pageScripts(['index.html', 'src/terminal/Terminal.tsx'], dist);
  return { files, gzipped: gzippedBytes(files, dist) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, gzipped } = terminalBundle();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`/terminal JavaScript: ${kb(gzipped)} gzipped (budget ${kb(TERMINAL_BUDGET_BYTES)})`);
  for (const f of files) console.log(`  ${f}`);
}
