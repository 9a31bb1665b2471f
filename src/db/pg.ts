import { createRequire } from 'node:module';
import type Pg from 'pg';

/**
 * The PostgreSQL client, loaded on first use: a server on the embedded SQLite never pays its memory
 * (about 15 MiB resident). pg returns BIGINT and SUM(...) as strings; they are parsed back to
 * numbers here, once, refusing anything beyond 2^53 rather than lose precision silently.
 */
let loaded: typeof Pg | undefined;

function parseSafeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer out of safe range: ${value}`);
  return n;
}

export function pgClient(): typeof Pg {
  if (!loaded) {
    const pg = createRequire(import.meta.url)('pg') as typeof Pg;
    pg.types.setTypeParser(pg.types.builtins.INT8, parseSafeInteger);
    pg.types.setTypeParser(pg.types.builtins.NUMERIC, parseSafeInteger);
    loaded = pg;
  }
  return loaded;
}
