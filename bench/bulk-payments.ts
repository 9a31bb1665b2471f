import SqliteDatabase from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { newId } from '../src/ids.js';
import { openContext } from '../src/runtime.js';
import { seedDemo } from '../src/seed/demo.js';

type Row = Record<string, unknown>;

/**
 * A RefundDesk SQLite database at `file` with the demo data, then `n` copies of an approved demo
 * sale (new ids, references from `firstReference` up) inserted in one transaction, not through the
 * API: how the benchmarks get a long history in seconds. `payment(i)` gives the columns of the i-th
 * copy that differ from the demo sale's; `alongside` prepares what else each payment gets and
 * returns what inserts it. Returns the seconds the inserts took.
 */
export async function demoWithPayments(
  file: string,
  n: number,
  opts: {
    secretKey: string;
    firstReference: number;
    payment?: (i: number) => Row;
    alongside?: (sqlite: SqliteDatabase.Database, sale: Row) => (paymentId: string, i: number) => void;
  },
): Promise<number> {
  const { db, ctx } = await openContext({
    ...loadConfig({}),
    databaseUrl: file,
    secretKey: opts.secretKey,
    worker: false,
  });
  await seedDemo(db, ctx);
  await db.close();
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  const sale = sqlite.prepare("SELECT * FROM payments WHERE status = 'approved' LIMIT 1").get() as Row;
  const cols = Object.keys(sale);
  const insert = sqlite.prepare(
    `INSERT INTO payments (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
  );
  const more = opts.alongside?.(sqlite, sale);
  const t0 = performance.now();
  sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = newId('pay');
      insert.run({ ...sale, id, reference: String(opts.firstReference + i), ...opts.payment?.(i) });
      more?.(id, i);
    }
  })();
  sqlite.close();
  return (performance.now() - t0) / 1000;
}
