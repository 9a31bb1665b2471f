import { build } from '../../scripts/build.js';

/** Vitest global setup: the child-process tests run the compiled server and the browser tests the built web app — build what is stale, once per run. */
export async function setup(): Promise<void> {
  await build(undefined, true);
}
