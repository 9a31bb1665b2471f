import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type ThrowawayDatabase, throwawayDatabase } from '../../test/support/engines.js';
import type { AuditEventTable } from '../audit/audit.tables.js';
import { ManualClock } from '../clock.js';
import { loadConfig } from '../config.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { atEnd, transaction } from '../db/transaction.js';
import { openContext } from '../runtime.js';
import { recordAudit, recordAuditNow, verifyAuditChains } from './audit.service.js';
import { type AuditInput, auditHash, GENESIS_HASH, UnsafeAuditRecordError } from './audit-event.js';

describe.each(engines())('the audit log (%s)', (engine) => {
  let tdb: ThrowawayDatabase;
  let ctx: AppContext;
  let database: Db;
  const clock = new ManualClock('2026-03-02T08:00:00.000Z');
  let n = 0;

  beforeAll(async () => {
    tdb = await throwawayDatabase(engine);
    ({ db: database, ctx } = await openContext(
      { ...loadConfig({}), databaseUrl: tdb.url, logLevel: 'silent', worker: false, seedDemo: false },
      clock,
    ));
  });
  afterAll(async () => {
    await database?.close();
    await tdb?.drop();
  });

  /** A fresh chain name per test, so tampering in one test never shows in another. */
  const freshChain = () => `mer_test${engine}${++n}`;

  const event = (merchantId: string | null, i: number, over: Partial<AuditInput> = {}): AuditInput => ({
    merchantId,
    actor: { kind: 'user', id: `usr_${i}` },
    action: 'refund.status_changed',
    outcome: 'success',
    objectType: 'refund',
    objectId: `re_${i}`,
    terminalId: 'trm_1',
    ip: '10.0.0.1',
    details: { from: 'pending_acquirer', to: 'processing', i },
    ...over,
  });

  const rowsOf = async (chain: string): Promise<AuditEventTable[]> =>
    (
      await database.kysely.selectFrom('audit_events').selectAll().where('chain', '=', chain).orderBy('seq').execute()
    ).map((r) => ({ ...r, seq: Number(r.seq) }));

  const chainOfFive = async () => {
    const chain = freshChain();
    for (let i = 1; i <= 5; i++) await recordAuditNow(database, ctx, event(chain, i));
    const rows = await rowsOf(chain);
    expect((await verifyAuditChains(database.kysely, { chain })).ok).toBe(true);
    return { chain, rows };
  };

  const db = () => database.kysely;

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

  describe('detects tampering with the table and names the first bad row', () => {
    const expectBad = async (chain: string, bad: { seq: number; id: string; problem: string }) => {
      const r = await verifyAuditChains(database.kysely, { chain });
      expect(r.ok).toBe(false);
      expect(r.firstBad).toEqual({ chain, ...bad });
    };

    const edits: Array<[string, string, (r: AuditEventTable) => unknown]> = [
      ['at', 'at', () => '2026-03-02T07:59:59.000Z'],
      ['actor_kind', 'actor_kind', () => 'system'],
      ['actor_id', 'actor_id', () => 'usr_someone_else'],
      ['action', 'action', () => 'refund.created'],
      ['outcome', 'outcome', () => 'failure'],
      ['object_type', 'object_type', () => 'payment'],
      ['object_id', 'object_id', () => 're_other'],
      ['terminal_id', 'terminal_id', () => null],
      ['ip', 'ip', () => '203.0.113.9'],
      ['details', 'details', () => '{"from":"pending_acquirer","i":3,"to":"succeeded"}'],
      ['id', 'id', () => 'aud_forged0000000000000000'],
      ['hash', 'hash', () => 'f'.repeat(64)],
    ];
    it.each(edits)('an edited %s: hash_mismatch on that row', async (_name, column, value) => {
      const { chain, rows } = await chainOfFive();
      await sql`update audit_events set ${sql.ref(column)} = ${value(rows[2])} where id = ${rows[2].id}`.execute(db());
      const id = column === 'id' ? 'aud_forged0000000000000000' : rows[2].id;
      await expectBad(chain, { seq: 3, id, problem: 'hash_mismatch' });
    });

    it('an edited prev_hash: broken_link on that row', async () => {
      const { chain, rows } = await chainOfFive();
      await db()
        .updateTable('audit_events')
        .set({ prev_hash: 'a'.repeat(64) })
        .where('id', '=', rows[2].id)
        .execute();
      await expectBad(chain, { seq: 3, id: rows[2].id, problem: 'broken_link' });
    });

    it('an edited seq: gap_or_reorder at the row that follows the hole', async () => {
      const { chain, rows } = await chainOfFive();
      await db().updateTable('audit_events').set({ seq: 99 }).where('id', '=', rows[2].id).execute();
      await expectBad(chain, { seq: 4, id: rows[3].id, problem: 'gap_or_reorder' });
    });

    it('a row moved to another chain: gap_or_reorder in the chain it left', async () => {
      const { chain, rows } = await chainOfFive();
      await db().updateTable('audit_events').set({ chain: 'mer_elsewhere' }).where('id', '=', rows[2].id).execute();
      await expectBad(chain, { seq: 4, id: rows[3].id, problem: 'gap_or_reorder' });
      await db().deleteFrom('audit_events').where('chain', '=', 'mer_elsewhere').execute();
    });

    it('a deleted middle row: gap_or_reorder at the row after it', async () => {
      const { chain, rows } = await chainOfFive();
      await db().deleteFrom('audit_events').where('id', '=', rows[2].id).execute();
      await expectBad(chain, { seq: 4, id: rows[3].id, problem: 'gap_or_reorder' });
    });

    it('a deleted first row: gap_or_reorder at the new first row', async () => {
      const { chain, rows } = await chainOfFive();
      await db().deleteFrom('audit_events').where('id', '=', rows[0].id).execute();
      await expectBad(chain, { seq: 2, id: rows[1].id, problem: 'gap_or_reorder' });
    });

    it('a deleted last row: head_mismatch naming the row that is now last', async () => {
      const { chain, rows } = await chainOfFive();
      await db().deleteFrom('audit_events').where('id', '=', rows[4].id).execute();
      await expectBad(chain, { seq: 4, id: rows[3].id, problem: 'head_mismatch' });
    });

    it('every row deleted: head_mismatch with no row to name', async () => {
      const { chain } = await chainOfFive();
      await db().deleteFrom('audit_events').where('chain', '=', chain).execute();
      await expectBad(chain, { seq: 0, id: '', problem: 'head_mismatch' });
    });

    it('a deleted head: head_mismatch at the last row', async () => {
      const { chain, rows } = await chainOfFive();
      await db().deleteFrom('audit_chains').where('chain', '=', chain).execute();
      await expectBad(chain, { seq: 5, id: rows[4].id, problem: 'head_mismatch' });
    });

    it('two rows’ seq swapped: gap_or_reorder at the first moved row', async () => {
      const { chain, rows } = await chainOfFive();
      await transaction(database, async (trx) => {
        await trx.updateTable('audit_events').set({ seq: -1 }).where('id', '=', rows[1].id).execute();
        await trx.updateTable('audit_events').set({ seq: 2 }).where('id', '=', rows[3].id).execute();
        await trx.updateTable('audit_events').set({ seq: 4 }).where('id', '=', rows[1].id).execute();
      });
      await expectBad(chain, { seq: 2, id: rows[3].id, problem: 'gap_or_reorder' });
    });

    it('two neighbours’ content swapped (ids and seq left in place): gap_or_reorder', async () => {
      const { chain, rows } = await chainOfFive();
      const { id: _a, seq: _sa, ...second } = rows[1];
      const { id: _b, seq: _sb, ...third } = rows[2];
      await transaction(database, async (trx) => {
        await trx.updateTable('audit_events').set(third).where('id', '=', rows[1].id).execute();
        await trx.updateTable('audit_events').set(second).where('id', '=', rows[2].id).execute();
      });
      await expectBad(chain, { seq: 2, id: rows[1].id, problem: 'gap_or_reorder' });
    });

    const forge = (chain: string, seq: number, prevHash: string, validHash: boolean): AuditEventTable => {
      const row = {
        id: `aud_FORGED${seq}_${chain}`,
        chain,
        seq,
        at: '2026-03-02T09:00:00.000Z',
        actor_kind: 'user',
        actor_id: 'usr_attacker',
        action: 'refund.status_changed',
        outcome: 'success',
        object_type: 'refund',
        object_id: 're_forged',
        terminal_id: null,
        ip: null,
        details: '{}',
        prev_hash: prevHash,
      };
      return { ...row, hash: validHash ? auditHash(row) : 'e'.repeat(64) };
    };

    it('a forged row appended with a well-computed hash: head_mismatch naming the forged row', async () => {
      const { chain, rows } = await chainOfFive();
      const forged = forge(chain, 6, rows[4].hash, true);
      await db().insertInto('audit_events').values(forged).execute();
      await expectBad(chain, { seq: 6, id: forged.id, problem: 'head_mismatch' });
    });

    it('a forged row appended with a made-up hash: hash_mismatch on the forged row', async () => {
      const { chain, rows } = await chainOfFive();
      const forged = forge(chain, 6, rows[4].hash, false);
      await db().insertInto('audit_events').values(forged).execute();
      await expectBad(chain, { seq: 6, id: forged.id, problem: 'hash_mismatch' });
    });

    it('a forged row slipped into the middle (later rows renumbered): caught at the row it displaced', async () => {
      const { chain, rows } = await chainOfFive();
      for (const r of [rows[4], rows[3], rows[2]]) {
        await db()
          .updateTable('audit_events')
          .set({ seq: r.seq + 1 })
          .where('id', '=', r.id)
          .execute();
      }
      const forged = forge(chain, 3, rows[1].hash, true);
      await db().insertInto('audit_events').values(forged).execute();
      await expectBad(chain, { seq: 4, id: rows[2].id, problem: 'gap_or_reorder' });
    });

    it('a forged middle row with a made-up hash: hash_mismatch on the forged row', async () => {
      const { chain, rows } = await chainOfFive();
      for (const r of [rows[4], rows[3], rows[2]]) {
        await db()
          .updateTable('audit_events')
          .set({ seq: r.seq + 1 })
          .where('id', '=', r.id)
          .execute();
      }
      const forged = forge(chain, 3, rows[1].hash, false);
      await db().insertInto('audit_events').values(forged).execute();
      await expectBad(chain, { seq: 3, id: forged.id, problem: 'hash_mismatch' });
    });

    it('a row edited and re-hashed, its successor left alone: broken_link at the successor', async () => {
      const { chain, rows } = await chainOfFive();
      const edited = { ...rows[2], action: 'refund.created' };
      await db()
        .updateTable('audit_events')
        .set({ action: edited.action, hash: auditHash(edited) })
        .where('id', '=', rows[2].id)
        .execute();
      await expectBad(chain, { seq: 4, id: rows[3].id, problem: 'broken_link' });
    });

    it('the last row edited and re-hashed: head_mismatch on it', async () => {
      const { chain, rows } = await chainOfFive();
      const edited = { ...rows[4], outcome: 'failure' };
      await db()
        .updateTable('audit_events')
        .set({ outcome: edited.outcome, hash: auditHash(edited) })
        .where('id', '=', rows[4].id)
        .execute();
      await expectBad(chain, { seq: 5, id: rows[4].id, problem: 'head_mismatch' });
    });

    it('reports the first bad chain when asked to verify every chain', async () => {
      const r = await verifyAuditChains(database.kysely);
      expect(r.ok).toBe(false);
      expect(r.firstBad?.chain).toMatch(/^mer_test/);
      expect(r.chains).toBeGreaterThan(1);
    });
  });
});
