import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/seed/demo.js';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../support/engines.js';
import { call, killAllServers, killHard, ok, sleep, startServer } from '../support/server-process.js';

/**
 * `kill -TERM` on a serving process during a stream of refunds: it stops accepting, answers the
 * requests already in flight, and exits 0; every refund it acknowledged is stored, whole (its
 * timeline and audit event), and none is stored half-done.
 */
afterAll(killAllServers);

describe.each(engines())('a SIGTERMed server finishes what it started (%s)', (engine) => {
  let db: ThrowawayDatabase | undefined;
  afterAll(async () => {
    await killAllServers();
    await db?.drop();
  });

  it('answers its in-flight refunds, exits 0, and keeps every refund it acknowledged', async () => {
    db = await throwawayDatabase(engine);
    // What is asserted is that it finishes what it started, not how fast a loaded machine does it.
    const first = await startServer(db.url, { STOP_GRACE_SECONDS: '60' });
    const owner = (await ok(call(first.base, 'POST', '/api/v1/auth/login', undefined, DEMO.owner), 200))
      .token as string;
    const terminals = await ok(call(first.base, 'GET', '/api/v1/terminals', owner), 200);
    const terminalId = (terminals.data as Array<{ id: string; serial: string }>).find(
      (t) => t.serial === DEMO.terminal.serial,
    )?.id;
    const key = (
      await ok(
        call(first.base, 'POST', '/api/v1/api-keys', owner, {
          name: 'stop',
          scopes: ['refunds:write', 'read', 'payments:write'],
        }),
        201,
      )
    ).secret as string;
    const sale = await ok(
      call(first.base, 'POST', '/api/v1/payments', key, {
        amount: 100_000,
        card: { number: '4111111111111111' },
        terminalId,
      }),
      201,
    );

    const acknowledged: string[] = [];
    let refusedConnections = 0;
    const unexpected: string[] = [];
    let signalled = false;
    const loop = async () => {
      while (true) {
        try {
          const r = await call(first.base, 'POST', '/api/v1/refunds', key, {
            paymentId: sale.id,
            amount: 100,
            reason: 'goods_returned',
          });
          if (r.status === 201) acknowledged.push(r.json.id as string);
          else if (r.status !== 503) unexpected.push(`${r.status} ${JSON.stringify(r.json)}`);
        } catch {
          if (!signalled) unexpected.push('a connection failed before the signal');
          refusedConnections++;
          return;
        }
      }
    };
    const loops = Array.from({ length: 6 }, loop);
    for (const until = Date.now() + 45_000; acknowledged.length < 5; ) {
      if (Date.now() > until) throw new Error(`no refunds acknowledged: ${unexpected.join('; ')}`);
      await sleep(20);
    }
    const exited = once(first.child, 'exit');
    signalled = true;
    first.child.kill('SIGTERM');
    const [code] = await exited;
    await Promise.all(loops);

    expect(code, first.output()).toBe(0);
    expect(unexpected).toEqual([]);
    expect(refusedConnections).toBe(6);

    const second = await startServer(db.url);
    const stored: Array<{ id: string; timeline: unknown[] }> = [];
    for (let cursor = ''; ; ) {
      const page = await ok(
        call(second.base, 'GET', `/api/v1/refunds?paymentId=${sale.id}&limit=100${cursor && `&cursor=${cursor}`}`, key),
        200,
      );
      stored.push(...(page.data as typeof stored));
      cursor = (page.nextCursor as string | null) ?? '';
      if (!cursor) break;
    }
    const ids = new Set(stored.map((r) => r.id));
    for (const id of acknowledged) expect(ids.has(id), id).toBe(true);
    for (const r of stored) expect(r.timeline.length).toBeGreaterThan(0);
    const verified = await ok(call(second.base, 'GET', `/api/v1/payments/${sale.id}`, key), 200);
    expect((verified.pendingRefundAmount as number) + (verified.refundedAmount as number)).toBe(stored.length * 100);
    await killHard(second.child);
  }, 180_000);
});
