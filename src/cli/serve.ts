import { settleBackupRuns, startBackupSchedule } from '../backups/backup-run.service.js';
import { DAY, HOUR } from '../clock.js';
import type { Config } from '../config.js';
import { transaction } from '../db/transaction.js';
import { buildApp } from '../http/app.js';
import { purgeExpiredKeys } from '../idempotency/idempotency.service.js';
import { purgeFinishedJobs } from '../jobs/job.service.js';
import { closeSmtpPools } from '../notifications/email.js';
import { attachWorker, openContext } from '../runtime.js';
import { seedDemo } from '../seed/demo.js';

/** `refunddesk serve`: migrate, seed the demo on first start, serve HTTP, run the worker. */
export async function serve(config: Config): Promise<void> {
  const runtime = await openContext(config);
  const { db, ctx } = runtime;
  const app = await buildApp(db, ctx, { prettyLogs: process.stdout.isTTY === true });
  if (config.seedDemo) {
    const seeded = await seedDemo(db, ctx);
    if (seeded) app.log.info({ merchantId: seeded.merchantId, terminalId: seeded.terminalId }, 'demo data seeded');
  }
  const worker = config.worker ? attachWorker(runtime, (e) => app.log.error({ err: e }, 'worker error')) : undefined;
  // Housekeeping: idempotency keys are kept 48 h (≥ 24 h promised), finished jobs 7 days.
  const housekeeping = async () => {
    try {
      await transaction(db, (tx) => purgeExpiredKeys(tx, ctx));
      await transaction(db, (tx) => purgeFinishedJobs(tx, ctx, 7 * DAY));
    } catch (e) {
      app.log.error({ err: e }, 'housekeeping failed');
    }
  };
  const housekeepingTimer = config.worker ? setInterval(housekeeping, HOUR) : undefined;
  housekeepingTimer?.unref();
  const stopBackups = config.worker
    ? startBackupSchedule(db, ctx, (e) => app.log.error({ err: e }, 'backup failed'))
    : () => {};
  // Graceful stop on SIGTERM or SIGINT: stop accepting, let in-flight requests finish (for
  // STOP_GRACE_SECONDS, 10 by default, then exit 1), stop the worker between jobs, close the
  // database. A second signal exits at once. Every acknowledged write is already committed; one in
  // flight commits or rolls back whole.
  let stopping = false;
  // Once stopping, every answer closes its connection: a keep-alive connection busy when the stop
  // began would otherwise stay open, idle, for the keep-alive timeout, and hold the stop up.
  app.addHook('onSend', async (_req, reply) => {
    if (stopping) reply.header('connection', 'close');
  });
  const shutdown = async (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const deadline = setTimeout(() => {
      app.log.error(`requests still in flight after ${config.stopGraceSeconds} s: exiting`);
      process.exit(1);
    }, config.stopGraceSeconds * 1000);
    deadline.unref();
    clearInterval(housekeepingTimer);
    stopBackups();
    try {
      // Requests in flight and the worker's current job finish side by side; then the database.
      await Promise.all([settleBackupRuns(), app.close(), worker?.stop()]);
      await closeSmtpPools(); // after the worker: its last send finishes on its connection
      await db.close();
    } catch (e) {
      app.log.error({ err: e }, 'error while shutting down');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info(`RefundDesk on ${address} (${db.engine}); the terminal at /terminal, API docs at /docs`);
}
