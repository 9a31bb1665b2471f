import { Gauge, type Registry } from 'prom-client';
import { lastSuccessfulBackupAt } from '../backups/backup-run.service.js';
import type { Clock } from '../clock.js';
import { countActiveLockouts } from '../credentials/credential.service.js';
import type { Db } from '../db/connect.js';
import { countOpenDisputes } from '../disputes/dispute-view.js';
import { jobBacklog } from '../jobs/job.service.js';
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
  const registers = [registry];

  new Gauge({
    name: 'refunddesk_refunds_waiting_for_review',
    help: "Refunds waiting for a review decision, by stage (merchant: customers' requests; acquirer)",
    labelNames: ['stage'],
    registers,
    async collect() {
      const n = await countWaitingForReview(conn);
      this.set({ stage: 'merchant' }, n.merchant);
      this.set({ stage: 'acquirer' }, n.acquirer);
    },
  });

  new Gauge({
    name: 'refunddesk_secret_lockouts_active',
    help: 'Secrets locked now after too many wrong entries, by kind (refund_password, user, operator…)',
    labelNames: ['secret'],
    registers,
    async collect() {
      const counts = await countActiveLockouts(conn, clock.now());
      this.reset();
      this.set({ secret: 'refund_password' }, 0); // always present, so an alert has a series to watch
      for (const [secret, n] of Object.entries(counts)) this.set({ secret }, n);
    },
  });

  new Gauge({
    name: 'refunddesk_jobs_backlog',
    help: 'Unfinished background jobs (the outbox): due now, or scheduled for later (retries, deadlines)',
    labelNames: ['state'],
    registers,
    async collect() {
      const n = await jobBacklog(conn, clock.now());
      this.set({ state: 'due' }, n.due);
      this.set({ state: 'scheduled' }, n.scheduled);
    },
  });

  new Gauge({
    name: 'refunddesk_disputes_open',
    help: 'Open disputes, by stage',
    labelNames: ['stage'],
    registers,
    async collect() {
      for (const [stage, n] of Object.entries(await countOpenDisputes(conn))) this.set({ stage }, n);
    },
  });

  new Gauge({
    name: 'refunddesk_last_successful_backup_timestamp_seconds',
    help: 'When the last successful backup finished, in Unix time (0: never)',
    registers,
    async collect() {
      const at = await lastSuccessfulBackupAt(conn);
      this.set(at ? Date.parse(at) / 1000 : 0);
    },
  });
}
