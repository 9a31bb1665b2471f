#!/usr/bin/env node
// The `refunddesk` command runs the compiled server (dist/server) with plain `node`. In a source
// checkout a missing or stale build is rebuilt first (scripts/build.ts, through tsx), so `npm start`
// after editing a file runs what was edited.
import { isCheckout, isStale } from './build-state.js';

if (isCheckout() && (isStale('server') || isStale('web'))) {
  const { register } = await import('tsx/esm/api');
  const unregister = register();
  const { build } = await import('../scripts/build.ts');
  const built = await build(undefined, true);
  await unregister();
  for (const part of built) console.error(`[refunddesk] built dist/${part}`);
}
await import('../dist/server/cli/main.js');
