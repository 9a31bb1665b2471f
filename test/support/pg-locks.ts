import pg from 'pg';

/**
 * Resolves once another session of the database at `url` waits on a lock (PostgreSQL only): how a
 * race test knows the second transaction is inside, blocked by the first, before it lets the first
 * go on.
 */
export async function someoneWaitsOnALock(url: string, what = 'nobody'): Promise<void> {
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    for (let i = 0; i < 500; i++) {
      const r = await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      if (r.rows[0].n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`${what} waited on a lock`);
  } finally {
    await watcher.end();
  }
}
