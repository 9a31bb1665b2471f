import type { AddressInfo } from 'node:net';
import type { Config } from '../../src/config.js';
import type { EngineName } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';

export interface Served {
  h: Harness;
  /** http://127.0.0.1:<free port> */
  base: string;
  close(): Promise<void>;
}

/**
 * One server per test file: the in-process app on a fresh, demo-seeded database (SQLite unless
 * told), on a free port, which is also its PUBLIC_BASE_URL (the customer's tracking links).
 */
export async function serve(engine: EngineName = 'sqlite', overrides: Partial<Config> = {}): Promise<Served> {
  const h = await openHarness(engine, overrides);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  // The port is known only now; the config is read when a link is made, never cached.
  h.ctx.config.publicBaseUrl = overrides.publicBaseUrl ?? base;
  return { h, base, close: () => h.close() };
}
