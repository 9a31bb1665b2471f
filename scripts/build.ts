/**
 * The one build: the server (src/ → dist/server, plain JavaScript run by `node`) and the web app
 * (web/ → dist/web, by Vite). `npm run build` and `prepare` (so `npm install` / `npm ci`) build
 * both; `--if-stale` builds only the parts whose sources are newer than their output (used by
 * `bin/refunddesk.js` — hence `npm start` — and by the tests' global setup).
 */
import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale, PARTS, ROOT } from '../bin/build-state.js';

type Part = keyof typeof PARTS;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Transpiles each server file on its own (no bundling: the output mirrors src/), then copies its data files. */
export async function buildServer(): Promise<void> {
  const { build } = await import('esbuild');
  const src = join(ROOT, 'src');
  const out = join(ROOT, 'dist/server');
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: sourceFiles(src),
    outdir: out,
    outbase: src,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  // Files a module reads next to itself (e.g. credentials/data/common-passwords.txt).
  cpSync(src, out, {
    recursive: true,
    filter: (path) => statSync(path).isDirectory() || !/\.(ts|tsx)$/.test(path),
  });
  writeFileSync(join(ROOT, PARTS.server.stamp), `${new Date().toISOString()}\n`);
}

export async function buildWeb(): Promise<void> {
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    console.warn('[refunddesk] vite is not installed (npm install --omit=dev?): the web app is not built');
    return;
  }
  await vite.build({ configFile: join(ROOT, 'web/vite.config.ts'), logLevel: 'warn' });
}

const BUILDERS: Record<Part, () => Promise<void>> = { server: buildServer, web: buildWeb };

/** Builds the given parts (all by default); with `ifStale`, only those older than their sources. Returns what it built. */
export async function build(parts: Part[] = ['server', 'web'], ifStale = false): Promise<Part[]> {
  const todo = parts.filter((p) => !ifStale || isStale(p));
  for (const p of todo) await BUILDERS[p]();
  return todo;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const named = args.filter((a): a is Part => a in PARTS);
  const built = await build(named.length > 0 ? named : undefined, args.includes('--if-stale'));
  for (const p of built) console.error(`[refunddesk] built ${relative(ROOT, join(ROOT, PARTS[p].stamp, '..'))}`);
}
