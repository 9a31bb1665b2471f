import { describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { atEnd, transaction } from '../db/transaction.js';
import { useAuditLog } from './audit.fixtures.js';
import { recordAudit, recordAuditNow, verifyAuditChains } from './audit.service.js';
import { auditHash, GENESIS_HASH, UnsafeAuditRecordError } from './audit-event.js';

/** Appending to the audit chains: numbering, links, transactions, concurrency, and what is refused. */
describe.each(engines())('the audit log (%s)', (engine) => {
  let database: Db;
  let ctx: AppContext;
  const { clock, db, freshChain, event, rowsOf } = useAuditLog(engine, (log) => ({ database, ctx } = log));

  it('appends events with seq 1, 2, 3… each linked to the one before, from 64 zeros, and verifies them', async () => {
    const chain = freshChain();
    for (let i = 1; i <= 3; i++) {
      clock.advance(1000);
      await recordAuditNow(database, ctx, event(chain, i));
    }
    const rows = await rowsOf(chain);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0].prev_hash).toBe(GENESIS_HASH);
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    expect(rows[2].prev_hash).toBe(rows[1].hash);
    for (const r of rows) {
      expect(r.hash).toBe(auditHash(r));
      expect(r.id).toMatch(/^aud_/);
    }
    expect(rows[2]).toMatchObject({
      at: '2026-03-02T08:00:03.000Z',
      actor_kind: 'user',
      actor_id: 'usr_3',
      action: 'refund.status_changed',
      outcome: 'success',
      object_type: 'refund',
      object_id: 're_3',
      terminal_id: 'trm_1',
      ip: '10.0.0.1',
      details: '{"from":"pending_acquirer","i":3,"to":"processing"}',
    });
    const head = await db().selectFrom('audit_chains').selectAll().where('chain', '=', chain).executeTakeFirstOrThrow();
    expect({ seq: Number(head.last_seq), hash: head.last_hash }).toEqual({ seq: 3, hash: rows[2].hash });
    expect(await verifyAuditChains(database.kysely, { chain })).toEqual({ ok: true, chains: 1, events: 3 });
  });

  it('writes platform events (merchantId null) to the platform chain', async () => {
    await recordAuditNow(database, ctx, {
      merchantId: null,
      actor: { kind: 'system', id: null },
      action: 'auth.login_failed',
      outcome: 'failure',
      ip: '192.0.2.7',
      details: { email: 'nobody@example.com' },
    });
    const rows = await rowsOf('platform');
    expect(rows.at(-1)).toMatchObject({ action: 'auth.login_failed', outcome: 'failure', actor_id: null });
    expect((await verifyAuditChains(database.kysely, { chain: 'platform' })).ok).toBe(true);
  });

  it('keeps two interleaved chains apart, each numbered from 1 and each valid', async () => {
    const a = freshChain();
    const b = freshChain();
    for (let i = 1; i <= 4; i++) {
      await recordAuditNow(database, ctx, event(a, i));
      await recordAuditNow(database, ctx, event(b, i));
      await recordAuditNow(database, ctx, event(b, i + 100));
    }
    expect((await rowsOf(a)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect((await rowsOf(b)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await rowsOf(b))[0].prev_hash).toBe(GENESIS_HASH);
    expect(await verifyAuditChains(database.kysely, { chain: a })).toEqual({ ok: true, chains: 1, events: 4 });
    expect(await verifyAuditChains(database.kysely, { chain: b })).toEqual({ ok: true, chains: 1, events: 8 });
  });

  it('commits with the caller’s transaction and vanishes with its rollback, leaving no gap', async () => {
    const chain = freshChain();
    await transaction(database, (trx) => recordAudit(trx, ctx, event(chain, 1)));
    await expect(
      transaction(database, async (trx) => {
        await recordAudit(trx, ctx, event(chain, 2));
        throw new Error('the change being audited failed');
      }),
    ).rejects.toThrow('the change being audited failed');
    await recordAuditNow(database, ctx, event(chain, 3));
    expect((await rowsOf(chain)).map((r) => [r.seq, r.object_id])).toEqual([
      [1, 're_1'],
      [2, 're_3'],
    ]);
    expect((await verifyAuditChains(database.kysely, { chain })).ok).toBe(true);
  });

  it('turns 50 concurrent appends to one chain into seq 1..50 with no gap and a valid chain', async () => {
    const chain = freshChain();
    const other = freshChain();
    await recordAuditNow(database, ctx, event(other, -1));
    const verifications: Array<Promise<{ ok: boolean }>> = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        if (i % 10 === 0) verifications.push(verifyAuditChains(database.kysely, { chain: other }));
        return Promise.all([
          recordAuditNow(database, ctx, event(chain, i)),
          i % 5 === 0 ? recordAuditNow(database, ctx, event(other, i)) : null,
        ]);
      }),
    );
    // verifying while appends go on never reports a false break
    expect((await Promise.all(verifications)).map((v) => v.ok)).toEqual([true, true, true, true, true]);
    const rows = await rowsOf(chain);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.object_id)).size).toBe(50);
    expect(await verifyAuditChains(database.kysely, { chain })).toEqual({ ok: true, chains: 1, events: 50 });
    expect(await verifyAuditChains(database.kysely, { chain: other })).toEqual({ ok: true, chains: 1, events: 11 });
  });

  it('writes the events of concurrent use cases, two chains each in either order, and none of a failed one', async () => {
    const a = freshChain();
    const b = freshChain();
    // On SQLite these meet in one group-commit batch, whose end writes every kept use case's events.
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        transaction(database, async (trx) => {
          const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
          await recordAudit(trx, ctx, event(first, i));
          await recordAudit(trx, ctx, event(second, i + 100));
          if (i % 4 === 3) throw new Error(`use case ${i} failed`);
        }),
      ),
    );
    const kept = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(kept).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10]);
    for (const chain of [a, b]) {
      const rows = await rowsOf(chain);
      expect(rows.map((r) => r.seq)).toEqual(kept.map((_, k) => k + 1));
      // Each kept use case's event on this chain: `first` for even ones on a, odd ones on b.
      const expected = kept.map((i) => ((i % 2 === 0) === (chain === a) ? `re_${i}` : `re_${i + 100}`));
      expect(rows.map((r) => r.object_id).sort()).toEqual(expected.sort());
      expect(await verifyAuditChains(database.kysely, { chain })).toEqual({ ok: true, chains: 1, events: kept.length });
    }
  });

  // Row locks exist on PostgreSQL only (SQLite has one writer at a time), so only there.
  (engine === 'postgres' ? it : () => {})(
    'never makes one merchant’s append wait for another merchant’s open one',
    async () => {
      const a = freshChain();
      const b = freshChain();
      await recordAuditNow(database, ctx, event(a, 0));
      await recordAuditNow(database, ctx, event(b, 0));
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let appended!: () => void;
      const aLocked = new Promise<void>((r) => {
        appended = r;
      });
      const slow = transaction(database, async (trx) => {
        await recordAudit(trx, ctx, event(a, 1));
        // The append runs at the transaction's end (the chain is every transaction's last lock):
        // pause right after it, holding chain a's head until released.
        await atEnd(trx, async () => {
          appended();
          await held;
        });
      });
      await aLocked;
      const t0 = Date.now();
      await recordAuditNow(database, ctx, event(b, 1)); // must not queue behind chain a
      expect(Date.now() - t0).toBeLessThan(2000);
      let secondADone = false;
      const secondA = recordAuditNow(database, ctx, event(a, 2)).then(() => {
        secondADone = true;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(secondADone).toBe(false); // the same chain does queue
      release();
      await Promise.all([slow, secondA]);
      expect((await rowsOf(a)).map((r) => r.seq)).toEqual([1, 2, 3]);
      expect((await verifyAuditChains(database.kysely, { chain: a })).ok).toBe(true);
    },
  );

  describe('refuses secrets and card numbers, and writes nothing', () => {
    it.each([
      ['a password', { newPassword: 'Hunter2!' }],
      ['a refund password', { refund_password: '731946' }],
      ['a one-time code', { otpCode: '123456' }],
      ['an unlock code', { unlockCode: '998877' }],
      ['a token', { sessionToken: 'abc.def' }],
      ['a secret', { apiSecret: 'sk_live' }],
      ['a PAN key', { pan: '411111' }],
      ['a card_number key', { card_number: '411111' }],
      ['a nested secret', { change: { old: { password: 'x' } } }],
      ['a full PAN value', { note: 'customer read out 4111 1111 1111 1111' }],
      ['a PAN as a number', { ref: 5555555555554444 }],
      ['a PAN in a list', { cards: ['6212345678901265'] }],
    ])('%s', async (_what, details) => {
      const chain = freshChain();
      const error = await recordAuditNow(database, ctx, event(chain, 1, { details })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafeAuditRecordError);
      for (const v of [
        'Hunter2!',
        '731946',
        '123456',
        '998877',
        'abc.def',
        'sk_live',
        '4111 1111',
        '5555555555554444',
      ]) {
        expect((error as Error).message).not.toContain(v);
      }
      expect(await rowsOf(chain)).toEqual([]);
      expect(await db().selectFrom('audit_chains').select('chain').where('chain', '=', chain).execute()).toEqual([]);
    });

    it('a card number in the object id or a malformed action', async () => {
      const chain = freshChain();
      await expect(
        recordAuditNow(database, ctx, event(chain, 1, { objectId: '4111111111111111' })),
      ).rejects.toBeInstanceOf(UnsafeAuditRecordError);
      await expect(recordAuditNow(database, ctx, event(chain, 1, { action: 'DROP TABLE' }))).rejects.toBeInstanceOf(
        UnsafeAuditRecordError,
      );
      expect(await rowsOf(chain)).toEqual([]);
    });

    it('but keeps what a card may leave behind: BIN, last 4, the receipt reference', async () => {
      const chain = freshChain();
      await recordAuditNow(
        database,
        ctx,
        event(chain, 1, { details: { cardBin: '411111', cardLast4: '1111', reference: '123456789012' } }),
      );
      expect(await rowsOf(chain)).toHaveLength(1);
    });
  });
});
