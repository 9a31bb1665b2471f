import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder (the one holding RefundDesk's package.json), found by walking up from
 * this file — so the same code finds `docs/`, `dist/web` and `package.json` whether it runs from
 * `src/` through tsx or compiled from `dist/server/`.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'refunddesk') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('refunddesk: cannot find the project root (package.json)');
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot();

/** A path inside the project, e.g. `projectPath('docs/errors.md')`. */
export function projectPath(relative: string): string {
  return join(PROJECT_ROOT, relative);
}

/** package.json's version: what `--version`, backups' manifests and the API report. */
export const REFUNDDESK_VERSION: string = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')).version;
