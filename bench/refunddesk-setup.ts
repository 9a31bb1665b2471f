import { DEMO } from '../src/seed/demo.js';

/** A JSON call to a running server; throws with the response body unless the status is `expect`. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; expect?: number } = {},
): Promise<T> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await r.text();
  const expect = opts.expect ?? 200;
  if (r.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${r.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/**
 * Settles the demo terminal's batch as its owner. Settled sales' refunds pass the acquirer's rules
 * without a person (an unsettled sale's refund waits for a reviewer, never reaching `succeeded`).
 */
export async function settleDemoTerminal(base: string, terminalId: string): Promise<void> {
  const owner = await call<{ token: string }>(base, 'POST', '/api/v1/auth/login', {
    body: { email: DEMO.owner.email, password: DEMO.owner.password },
  });
  await call(base, 'POST', `/api/v1/terminals/${terminalId}/settle`, { token: owner.token });
}

async function pool<T>(n: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  return out;
}

export interface RefundDeskSetup {
  terminalId: string;
  /** API key with refunds:write + read, for phase 1. */
  refundKey: string;
  paymentIds: string[];
  salesSeconds: number;
}

/**
 * Everything through the public API, as an integrator would: the demo owner logs in, finds T-0001,
 * makes two API keys (payments:write for the sales, refunds:write + read for the refunds), then
 * `sales` approved sales of 1,000,000 minor units on T-0001.
 */
export async function prepareRefundDesk(base: string, sales: number): Promise<RefundDeskSetup> {
  const owner = await call<{ token: string }>(base, 'POST', '/api/v1/auth/login', {
    body: { email: DEMO.owner.email, password: DEMO.owner.password },
  });
  const terminals = await call<{ data: Array<{ id: string; serial: string }> }>(base, 'GET', '/api/v1/terminals', {
    token: owner.token,
  });
  const terminal = terminals.data.find((t) => t.serial === DEMO.terminal.serial);
  if (!terminal) throw new Error(`terminal ${DEMO.terminal.serial} not found: is the demo seeded?`);
  const key = async (scopes: string[]) =>
    (
      await call<{ secret: string }>(base, 'POST', '/api/v1/api-keys', {
        token: owner.token,
        body: { name: `bench ${scopes.join(' ')}`, scopes },
        expect: 201,
      })
    ).secret;
  const salesKey = await key(['payments:write']);
  const refundKey = await key(['refunds:write', 'read']);

  const t0 = performance.now();
  const paymentIds = await pool(sales, 16, async () => {
    const p = await call<{ id: string; status: string }>(base, 'POST', '/api/v1/payments', {
      token: salesKey,
      body: { amount: 1_000_000, card: { number: '4111111111111111' }, terminalId: terminal.id },
      expect: 201,
    });
    if (p.status !== 'approved') throw new Error(`sale ${p.id} is ${p.status}, expected approved`);
    return p.id;
  });
  return { terminalId: terminal.id, refundKey, paymentIds, salesSeconds: (performance.now() - t0) / 1000 };
}

/** Cashier 01 of T-0001 logs in at the terminal; returns the bearer token. */
export async function operatorLogin(base: string, terminalId: string): Promise<string> {
  const r = await call<{ token: string }>(base, 'POST', `/api/v1/terminals/${terminalId}/login`, {
    body: { operator: DEMO.terminal.cashier.code, password: DEMO.terminal.cashier.password },
  });
  return r.token;
}
