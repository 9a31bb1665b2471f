import { afterAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/seed/demo.js';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../support/engines.js';
import { call, killAllServers, killHard, ok, sleep, startServer } from '../support/server-process.js';

/**
 * Invariant 5 (DESIGN.md): an acknowledged write survives `kill -9`. A real `refunddesk serve` child
 * takes a stream of refunds over real HTTP and is SIGKILLed while requests are in flight; a new
 * process on the same database must still show every refund it acknowledged, and the reserved sum
 * must still fit in the sale.
 */

const SALE_AMOUNT = 100_000;

afterAll(killAllServers);

describe.each(engines())('a SIGKILLed server keeps every refund it acknowledged (%s)', (engine) => {
  let db: ThrowawayDatabase | undefined;
  afterAll(async () => {
    await killAllServers();
    await db?.drop();
  });

  it('shows every acknowledged refund after a kill -9 mid-stream, and the refunds still fit in the sale', async () => {
    db = await throwawayDatabase(engine);
    const first = await startServer(db.url);

    // Demo data, seeded by `serve`: the owner makes an API key, which makes the sale.
    const login = await ok(call(first.base, 'POST', '/api/v1/auth/login', undefined, DEMO.owner), 200);
    const owner = login.token as string;
    const terminals = await ok(call(first.base, 'GET', '/api/v1/terminals', owner), 200);
    const terminal = (terminals.data as Array<{ id: string; serial: string }>).find(
      (t) => t.serial === DEMO.terminal.serial,
    );
    expect(terminal).toBeDefined();
    const created = await ok(
      call(first.base, 'POST', '/api/v1/api-keys', owner, {
        name: 'kill-9',
        scopes: ['refunds:write', 'read', 'payments:write'],
      }),
      201,
    );
    const secret = created.secret as string;
    const sale = await ok(
      call(first.base, 'POST', '/api/v1/payments', secret, {
        amount: SALE_AMOUNT,
        card: { number: '4111111111111111' },
        terminalId: terminal?.id,
      }),
      201,
    );
    expect(sale.status).toBe('approved');
    const paymentId = sale.id as string;

    // Several loops stream refunds until the process dies under them.
    const acknowledged = new Map<string, number>();
    let refused = 0;
    const unexpected: string[] = [];
    let cutOff = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let killed = false;
    const loop = async () => {
      while (!killed) {
        const amount = 1 + Math.floor(Math.random() * 200);
        inFlight++;
        try {
          const r = await call(first.base, 'POST', '/api/v1/refunds', secret, {
            paymentId,
            amount,
            reason: 'goods_returned',
          });
          if (r.status === 201 && r.json.amount === amount) acknowledged.set(r.json.id as string, amount);
          else if (r.status === 422 && r.json.code === 'refund_exceeds_refundable') refused++;
          else unexpected.push(`${r.status} ${JSON.stringify(r.json)}`);
        } catch (e) {
          // Only the kill may break a connection.
          if (killed) cutOff++;
          else unexpected.push(String(e));
        } finally {
          inFlight--;
        }
      }
    };
    const loops = Array.from({ length: 6 }, loop);
    // Kill once some refunds are acknowledged, however slow the machine is today; then a little
    // later, so the kill lands at a different point of a request each run.
    for (const until = Date.now() + 45_000; acknowledged.size < 5 && unexpected.length === 0; ) {
      if (Date.now() > until) throw new Error('no refund was acknowledged in 45 s');
      await sleep(20);
    }
    await sleep(Math.floor(Math.random() * 300));
    inFlightAtKill = inFlight;
    killed = true;
    await killHard(first.child);
    await Promise.all(loops);

    expect(unexpected).toEqual([]);
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(acknowledged.size).toBeGreaterThan(0);

    const second = await startServer(db.url);

    for (const ids = [...acknowledged.keys()]; ids.length > 0; ) {
      const chunk = ids.splice(0, 16);
      const got = await Promise.all(chunk.map((id) => call(second.base, 'GET', `/api/v1/refunds/${id}`, secret)));
      for (const [i, r] of got.entries()) {
        expect(r.status, `${chunk[i]}: ${JSON.stringify(r.json)}`).toBe(200);
        expect(r.json).toMatchObject({ id: chunk[i], paymentId, amount: acknowledged.get(chunk[i]) });
      }
    }

    const all: Array<{ id: string; amount: number; status: string }> = [];
    for (let cursor: string | null = null; ; ) {
      const qs: string = `paymentId=${paymentId}&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await ok(call(second.base, 'GET', `/api/v1/refunds?${qs}`, secret), 200);
      all.push(...(page.data as typeof all));
      cursor = page.nextCursor as string | null;
      if (!cursor) break;
    }
    const listed = new Set(all.map((r) => r.id));
    expect(listed.size).toBe(all.length);
    for (const id of acknowledged.keys()) expect(listed.has(id), id).toBe(true);
    // At most the requests cut off by the kill may have committed without an answer.
    expect(all.length - acknowledged.size).toBeGreaterThanOrEqual(0);
    expect(all.length - acknowledged.size).toBeLessThanOrEqual(cutOff);

    const released = new Set(['rejected_by_merchant', 'rejected_by_acquirer', 'canceled', 'failed']);
    const reserved = all.filter((r) => !released.has(r.status)).reduce((s, r) => s + r.amount, 0);
    const payment = await ok(call(second.base, 'GET', `/api/v1/payments/${paymentId}`, secret), 200);
    expect(payment.amount).toBe(SALE_AMOUNT);
    expect(reserved).toBeLessThanOrEqual(SALE_AMOUNT);
    expect(reserved).toBe(SALE_AMOUNT - (payment.refundableAmount as number));
    expect((payment.refundedAmount as number) + (payment.pendingRefundAmount as number)).toBe(reserved);
    expect(refused + acknowledged.size).toBeGreaterThan(0);

    await killHard(second.child);
  });
});
