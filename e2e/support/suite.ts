import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import type { Config } from '../../src/config.js';
import type { EngineName } from '../../test/support/engines.js';
import { type Browser, openBrowser } from './browser.js';
import { type Served, serve } from './server.js';

/**
 * The hooks of a browser test file: one server for the file, a fresh browser profile per test, and
 * a test fails on any console error or CSP violation its page saw. Read `s` and `b` inside tests.
 */
export function browserSuite(
  engine: EngineName = 'sqlite',
  overrides: () => Partial<Config> = () => ({}),
): { s: Served; b: Browser } {
  // A browser test is a walk of many steps: on a loaded machine it needs more than a unit test's minute.
  vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });
  const ctx = {} as { s: Served; b: Browser };
  beforeAll(async () => {
    ctx.s = await serve(engine, overrides());
  });
  afterAll(() => ctx.s?.close());
  beforeEach(async () => {
    ctx.b = await openBrowser();
  });
  afterEach(async () => {
    const errors = [...ctx.b.errors];
    await ctx.b.close();
    expect(errors, 'browser console errors or CSP violations').toEqual([]);
  });
  return ctx;
}
