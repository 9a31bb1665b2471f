/**
 * Whether a build output is older than its sources. Plain JavaScript, so `bin/refunddesk.js` can ask
 * before any TypeScript tooling is loaded; `scripts/build.ts` and the tests' global setup ask too.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The two parts of the one build: the compiled server and the web app, each with what it is built from. */
export const PARTS = {
  server: { sources: ['src', 'package-lock.json'], stamp: 'dist/server/.built' },
  web: { sources: ['web', 'package-lock.json'], stamp: 'dist/web/index.html' },
};

/** @param {string} path */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), s.mtimeMs);
}

/**
 * True when `part`'s output is missing or a source file is newer than it.
 * @param {'server' | 'web'} part
 * @param {string} [root] the project folder (a test passes a copy)
 */
export function isStale(part, root = ROOT) {
  const { sources, stamp } = PARTS[part];
  const out = join(root, stamp);
  if (!existsSync(out)) return true;
  const newest = Math.max(...sources.map((s) => newestMtime(join(root, s))));
  return newest > statSync(out).mtimeMs;
}

/** True in a source checkout (src/ present), where a stale build can be rebuilt. */
export function isCheckout() {
  return existsSync(join(ROOT, 'src'));
}
