/**
 * Builds the web app (web/ → dist/web). `npm run build` and `prepare` (so `npm install` / `npm ci`)
 * always build; `npm start` and the browser tests pass `--if-stale`, which builds only when a file
 * under web/ or the lock file is newer than the last build.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUILT_INDEX = join(ROOT, 'dist/web/index.html');

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), s.mtimeMs);
}

export function webBuildIsStale(): boolean {
  if (!existsSync(BUILT_INDEX)) return true;
  const sources = Math.max(newestMtime(join(ROOT, 'web')), newestMtime(join(ROOT, 'package-lock.json')));
  return sources > statSync(BUILT_INDEX).mtimeMs;
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

export async function buildWebIfStale(): Promise<boolean> {
  if (!webBuildIsStale()) return false;
  await buildWeb();
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-stale')) {
    if (await buildWebIfStale()) console.log('[refunddesk] web app built (dist/web)');
  } else {
    await buildWeb();
    console.log('[refunddesk] web app built (dist/web)');
  }
}
