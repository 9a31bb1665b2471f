#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=75
// The `refunddesk` command runs the compiled server (dist/server) with plain `node`. In a source
// checkout a missing or stale build is rebuilt first (scripts/build.ts, through tsx), so `npm start`
// after editing a file runs what was edited.
//
// The node flags, here and in package.json's `start` (the same ones; test/invariants/front-door.test.ts
// checks), keep the server's memory down under load at the same throughput and about the same p99
// (issue 12, target 5; bench/memory.ts): V8's young generation at most 2 × 4 MB instead of 2 × 16 MB,
// and a full GC once the old generation has grown 75 % past what the last one kept, not up to 300 %.
// (2 × 4 MB was 2 × 8 until the hot queries were prepared, src/db/prepared.ts: a refund now allocates
// 130 KB, not 213, and the smaller young generation peaks 10–12 MiB lower at the same refunds/s.)
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
