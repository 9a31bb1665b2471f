import { Gauge, type Registry } from 'prom-client';
import { lastSuccessfulBackupAt } from '../backups/backup-run.service.js';
import type { Clock } from '../clock.js';
import { countActiveLockouts } from '../credentials/credential.service.js';
import type { Db } from '../db/connect.js';
import { countOpenDisputes } from '../disputes/dispute-view.js';
import { jobBacklog, outboxLagMs } from '../jobs/job.service.js';
import { countWaitingForReview } from '../refunds/refund-review.service.js';

/**
 * The gauges that are a state of the database, read when Prometheus scrapes (`collect()`), through
 * the domains' services: one cheap COUNT each (indexed, or over a table that stays small), so the
 * figures are the same whichever of several `serve` processes answers, and nothing drifts from a
 * restart or a rolled-back transaction. A failing read fails the scrape (Prometheus marks the target
 * down) rather than report a stale figure.
 */
export function registerDatabaseGauges(registry: Registry, db: Db, clock: Clock): void {
  const conn = db.kysely;
  /** A gauge whose series are `read()` afresh at every scrape: one sample per label value. */
  const gauge = (name: string, help: string, label: string, read: () => Promise<Record<string, number>>) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        const values = await read();
        this.reset();
        for (const [value, n] of Object.entries(values)) this.set({ [label]: value }, n);
      },
    });

  gauge(
    'refunddesk_refunds_waiting_for_review',
    "Refunds waiting for a review decision, by stage (merchant: customers' requests; acquirer)",
    'stage',
    async () => ({ ...(await countWaitingForReview(conn)) }),
  );
  gauge(
    'refunddesk_secret_lockouts_active',
    'Secrets locked now after too many wrong entries, by kind (refund_password, user, operator…)',
    'secret',
    // refund_password always present, so an alert has a series to watch
    async () => ({ refund_password: 0, ...(await countActiveLockouts(conn, clock.now())) }),
  );
  gauge(
    'refunddesk_jobs_backlog',
    'Unfinished background jobs (the outbox): due now, or scheduled for later (retries, deadlines)',
    'state',
    async () => ({ ...(await jobBacklog(conn, clock.now())) }),
  );
  new Gauge({
    name: 'refunddesk_jobs_lag_seconds',
    help: 'How long the oldest job waiting for a worker has been due (0: none waits)',
    registers: [registry],
    async collect() {
      this.set((await outboxLagMs(conn, clock.now())) / 1000);
    },
  });
  gauge('refunddesk_disputes_open', 'Open disputes, by stage', 'stage', () => countOpenDisputes(conn));

  new Gauge({
    name: 'refunddesk_last_successful_backup_timestamp_seconds',
    help: 'When the last successful backup finished, in Unix time (0: never)',
    registers: [registry],
    async collect() {
      const at = await lastSuccessfulBackupAt(conn);
      this.set(at ? Date.parse(at) / 1000 : 0);
    },
  });
}
