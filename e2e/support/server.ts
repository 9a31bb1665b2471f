import type { AddressInfo } from 'node:net';
import type { EngineName } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';

export interface Served {
  h: Harness;
  /** http://127.0.0.1:<free port> */
  base: string;
  close(): Promise<void>;
}

/** One server per test file: the in-process app on a fresh, demo-seeded database (SQLite unless told), on a free port. */
export async function serve(engine: EngineName = 'sqlite'): Promise<Served> {
  const h = await openHarness(engine);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as AddressInfo;
  return { h, base: `http://127.0.0.1:${port}`, close: () => h.close() };
}
