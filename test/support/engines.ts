import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type EngineName = 'sqlite' | 'postgres';

const PG_URL = process.env.TEST_DATABASE_URL;

/**
 * The engines every database test runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
 * Without it the PostgreSQL runs are skipped with a visible notice, except in CI, where a skipped
 * engine fails the run.
 */
export function engines(): EngineName[] {
  if (PG_URL) return ['sqlite', 'postgres'];
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error('CI is set but TEST_DATABASE_URL is not: PostgreSQL tests must not be skipped in CI');
  }
  warnOnce();
  return ['sqlite'];
}

let warned = false;
function warnOnce() {
  if (warned) return;
  warned = true;
  console.warn('[refunddesk tests] TEST_DATABASE_URL is not set: PostgreSQL runs are SKIPPED (SQLite only).');
}

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database for one test file: a temp SQLite file, or a new PostgreSQL database. */
export async function throwawayDatabase(engine: EngineName): Promise<ThrowawayDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'refunddesk-test-'));
    return { url: join(dir, 'test.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!PG_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `rd_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
