import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import type { Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import { useAuditLog } from './audit.fixtures.js';
import { verifyAuditChains } from './audit.service.js';
import type { AuditEventTable } from './audit.tables.js';
import { auditHash } from './audit-event.js';

/** Verifying the audit chains: every kind of tampering with the table is found, at its first bad row. */
describe.each(engines())('the audit log under tampering (%s)', (engine) => {
  let database: Db;
  const { db, chainOfFive } = useAuditLog(engine, (log) => ({ database } = log));

  describe('detects tampering with the table and names the first bad row', () => {
    // The first chain, and the first verified (chains go by name): one nobody tampers with, so that
    // verifying every chain has more than one to walk before it meets a bad one.
    beforeAll(() => chainOfFive());

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
      const { chain, rows } = await chainOfFive();
      await db().updateTable('audit_events').set({ outcome: 'failure' }).where('id', '=', rows[1].id).execute();
      const r = await verifyAuditChains(database.kysely);
      expect(r.ok).toBe(false);
      // The first, in the database's name order, of the chains that are bad on their own: this
      // test's, or one an earlier test broke.
      const names = (await db().selectFrom('audit_chains').select('chain').orderBy('chain').execute()).map(
        (c) => c.chain,
      );
      const bad: string[] = [];
      for (const name of names) if (!(await verifyAuditChains(db(), { chain: name })).ok) bad.push(name);
      expect(bad).toContain(chain);
      expect(r.firstBad?.chain).toBe(bad[0]);
      expect(r.chains).toBeGreaterThan(1);
    });
  });
});
