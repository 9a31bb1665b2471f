import { sql } from 'kysely';
import type { Harness } from '../../test/support/harness.js';
import { REFUND_PASSWORD } from '../../test/support/harness.js';

/** What the re-initialisation tests share: the requests they make and a count of every table. */

/** Every table's row count, by name (both engines). */
export async function countAll(h: Harness): Promise<Record<string, number>> {
  const db = h.db.kysely;
  const names =
    h.engine === 'sqlite'
      ? (
          await sql<{
            name: string;
          }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(db)
        ).rows.map((r) => r.name)
      : (
          await sql<{ name: string }>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`.execute(db)
        ).rows.map((r) => r.name);
  const out: Record<string, number> = {};
  for (const name of names) {
    const r = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(name)}`.execute(db);
    out[name] = Number(r.rows[0].n);
  }
  return out;
}

/** A re-initialisation's body for the demo terminal T-0001: its serial twice, the password, no backup. */
export const confirmed = (password: string, extra: Record<string, unknown> = {}) => ({
  confirmSerial: 'T-0001',
  confirmSerialAgain: 'T-0001',
  password,
  skipBackup: true,
  ...extra,
});

/** The requests of a re-initialisation test, against the harness `harness()` returns. */
export function reinitRequests(harness: () => Harness) {
  const reinit = (headers: Record<string, string>, body: Record<string, unknown>, id = harness().ids.terminalId) =>
    harness().app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${id}/reinitialize`,
      headers,
      payload: body,
      remoteAddress: '198.51.100.23',
    });
  const settle = async () => {
    const h = harness();
    await h.app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${h.ids.terminalId}/settle`,
      headers: await h.operator('supervisor'),
    });
  };
  const refundAt = async (headers: Record<string, string>, paymentId: string) =>
    harness().app.inject({
      method: 'POST',
      url: '/api/v1/refunds',
      headers,
      payload: { paymentId, amount: 100, reason: 'goods_returned', refundPassword: REFUND_PASSWORD },
    });
  const signOn = (code: string, password: string) =>
    harness().app.inject({
      method: 'POST',
      url: `/api/v1/terminals/${harness().ids.terminalId}/login`,
      payload: { operator: code, password },
    });
  return { reinit, settle, refundAt, signOn };
}
