import { buildWebIfStale } from '../../scripts/web-build.js';

/** Vitest global setup: the browser tests and the bundle budget need a current web build (once per run). */
export async function setup(): Promise<void> {
  await buildWebIfStale();
}
