import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type LogEvent,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import type Pg from 'pg';
import { pgClient } from './pg.js';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly engine: Engine;
  /** SQLite: `transaction()` commits the use cases waiting together (src/db/group-commit.ts). */
  readonly groupCommit: boolean;
  close(): Promise<void>;
}

/**
 * Every SQLite transaction starts with BEGIN IMMEDIATE: it takes the write lock up front, so two
 * processes on one file queue for it instead of failing later with SQLITE_BUSY_SNAPSHOT. Within
 * one process Kysely's single-connection mutex already serialises transactions.
 *
 * The wait for a lock another process holds (a second `serve`, a CLI command) is asynchronous.
 * SQLite's own busy handler sleeps inside the call, and better-sqlite3 is synchronous, so it held
 * this process's event loop for as long as the other process kept the lock: no request, timer or
 * password check moved meanwhile. Here BEGIN IMMEDIATE is tried with busy_timeout 0 and, while
 * another connection holds the lock, tried again after a pause on a timer (1, 2, 4, 8, then 16 ms),
 * for `busyTimeoutMs` in all; then it fails with SQLITE_BUSY, as SQLite's wait did. Every other
 * statement keeps busy_timeout (WAL readers wait only in the rare moments another connection
 * recovers or resets the log). Two processes on one file, the worker in the second
 * (`BENCH_E2E_WORKER=process npm run bench:e2e`): the requests' p99 fell from 461–558 to 315–322 ms.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #sqlite: SqliteDatabase.Database;
  readonly #busyTimeoutMs: number;

  constructor(config: SqliteDialectConfig, sqlite: SqliteDatabase.Database, busyTimeoutMs: number) {
    super(config);
    this.#sqlite = sqlite;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const deadline = performance.now() + this.#busyTimeoutMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, 16)) {
      // A PRAGMA takes effect when it is prepared, so it is not kept as a statement.
      this.#sqlite.pragma('busy_timeout = 0');
      try {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
        return;
      } catch (e) {
        // SQLITE_BUSY, or SQLITE_BUSY_RECOVERY while another connection recovers the log.
        if (!String((e as { code?: unknown }).code).startsWith('SQLITE_BUSY') || performance.now() >= deadline) throw e;
      } finally {
        this.#sqlite.pragma(`busy_timeout = ${this.#busyTimeoutMs}`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, deadline - performance.now())));
    }
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly sqlite: SqliteDatabase.Database,
    private readonly busyTimeoutMs: number,
  ) {
    super(config);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config, this.sqlite, this.busyTimeoutMs);
  }
}

/**
 * Kysely's SQLite driver prepares every query anew; compiling the same SQL text again costs ~5% of
 * the server's CPU under load. Statements are reusable, so keep them by SQL text. The app's SQL
 * texts are few (~200 after migrating, seeding and the refund load, against `max` 500), so a hit
 * is a plain lookup and the oldest statement made goes when the cache is full. (Moving each hit
 * to the end, for recency, deleted and re-set an entry on every query: the Map's table was rebuilt
 * again and again, most of a megabyte a second under load, and promoted to the old generation
 * with the Map — garbage that stayed in RSS until the next full GC.)
 */
function withStatementCache(db: SqliteDatabase.Database, max = 500): SqliteDialectConfig['database'] {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => db.close(),
    prepare: (sql: string) => {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  } as SqliteDialectConfig['database'];
}

/**
 * PostgreSQL parses and plans a statement sent without a name on every run. Here each SQL text
 * that takes parameters gets a name (one per text, for the process), so each connection parses it
 * once and keeps it: PostgreSQL then chooses by cost between a plan for the values at hand and a
 * generic one it reuses (the query-plan test checks every statement's generic plan is indexed).
 * Refunds by API key on PostgreSQL: 245 → 292 a second (bench/memory.ts, 2 alternating rounds).
 * The app's texts are a few hundred; past `MAX_NAMED` a new text goes unnamed, so nothing that
 * builds texts without bound (a long IN list) can fill every connection with statements. Behind a
 * pooler that hands one server connection to many clients and cannot keep named statements
 * (PgBouncer in transaction mode before 1.21), `PG_NAMED_STATEMENTS=off` sends them unnamed.
 */
const MAX_NAMED = 2000;
function namedStatements(pool: Pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name && names.size < MAX_NAMED) {
      name = `rd${names.size + 1}`;
      names.set(text, name);
    }
    return name;
  };
  const wrapped = new WeakMap<Pg.PoolClient, PostgresPoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        w = {
          query: ((text: unknown, values?: unknown[]) => {
            const name = typeof text === 'string' && values && values.length > 0 ? nameOf(text) : undefined;
            return name ? client.query({ name, text: text as string, values }) : client.query(text as string, values);
          }) as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy),
        };
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}

/** One round trip to the database (readiness): throws when it cannot be reached. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db.kysely);
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Opens SQLite (a file path, `sqlite:` prefix optional, or `:memory:`) or PostgreSQL (`postgres://…`). */
export interface ConnectOptions {
  poolSize?: number;
  groupCommit?: boolean;
  /**
   * Told of every statement run (its SQL, parameters and how long it took, in ms): for tests that
   * read the query plans and the bench that counts statements.
   */
  onQuery?: (sql: string, parameters: readonly unknown[], ms: number) => void;
  /** PostgreSQL: send each SQL text that takes values as a named statement (on by default). */
  namedStatements?: boolean;
  /** SQLite: how long a statement or a transaction waits for a lock another process holds (5,000 ms). */
  busyTimeoutMs?: number;
}

export function connect(url: string, options: ConnectOptions = {}): Db {
  const { onQuery } = options;
  const log = onQuery
    ? (event: LogEvent) => {
        if (event.level === 'query') onQuery(event.query.sql, event.query.parameters, event.queryDurationMillis);
      }
    : undefined;
  if (isPostgresUrl(url)) {
    const pool = new (pgClient().Pool)({ connectionString: url, max: options.poolSize ?? 10 });
    // An idle client whose server went away (restart, failover) must not crash the process: the
    // pool drops it and the next query opens a new connection.
    pool.on('error', () => {});
    const kysely = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: options.namedStatements === false ? pool : namedStatements(pool) }),
      log,
    });
    return { kysely, engine: 'postgres', groupCommit: false, close: () => kysely.destroy() };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  // WAL + synchronous=FULL: a commit is on disk before we acknowledge it (survives kill -9 and
  // power loss). busy_timeout lets a second process wait for a lock (for the write lock, see above).
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  sqlite.pragma('foreign_keys = ON');
  // Deleted and overwritten content is zeroed in the file, not left in free space (PCI DSS 3.5:
  // a masked card number must not survive in the bytes of the page it was masked on).
  sqlite.pragma('secure_delete = ON');
  // SQLite's own default page cache, 2,000 KiB (better-sqlite3 builds it with 16 MB): under the
  // refund load the bigger cache filled and stayed in the server's RSS, while refunds/s and p99
  // were the same with either, at 10,000 and at 1,000,000 payments (bench/memory.ts, bench/history.ts).
  sqlite.pragma('cache_size = -2000');
  // Group commit runs every use case in a SAVEPOINT, and SQLite journals each page a use case first
  // touches into a sub-journal; past 64 KiB that went to a temporary file, a write syscall per page
  // (more than the WAL's own under the refund load, `perf`). In memory it is truncated when the
  // use case's savepoint is released, so it holds one use case's pages at most: request path
  // 1,753 → 1,972 refunds/s and 0.61 → 0.53 CPU ms a refund (bench/memory.ts, 3 alternating rounds).
  sqlite.pragma('temp_store = MEMORY');
  const kysely = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }, sqlite, busyTimeoutMs),
    log,
  });
  return { kysely, engine: 'sqlite', groupCommit: options.groupCommit ?? true, close: () => kysely.destroy() };
}
