import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics: one registry per context (so per app instance in tests, where
 * many share one process; prom-client's global default registry is never used), and the events the
 * use cases report through this facade. Labels are small closed sets — a channel, a status, a kind —
 * never a card number, merchant, operator or any id (test/http/metrics.test.ts scans the output).
 *
 * Services report an event only once it is durable: from `onCommit(tx, …)`, or after the
 * autocommitted write that records it, so rolled-back work is never counted. What is a state of the
 * database (backlogs, lockouts, the last backup) is not counted here but read at scrape time
 * (`db-gauges.ts`).
 */
export interface Metrics {
  readonly registry: Registry;
  /** A refund was created (any channel), in the state it starts in. */
  refundCreated(r: { channel: string; status: string; amount: number; currency: string }): void;
  /** A refund moved from one state to another; `waitedSeconds` is how long it sat in `from`. */
  refundMoved(r: { channel: string; from: string; to: string; waitedSeconds: number }): void;
  /** A wrong entry of a guarded secret (`refund_password`, `user`, `operator`…); `locked` if it set the lock. */
  secretCheckFailed(kind: string, locked: boolean): void;
  /** A one-time recovery code was queued for sending. */
  oneTimeCodeSent(channel: string): void;
  /** One webhook delivery attempt ended; `seconds` is the HTTP exchange, when one was made. */
  webhookAttempt(outcome: WebhookOutcome, seconds?: number): void;
  /** One `transaction()` ended (src/db/transaction.ts). */
  transactionEnded(outcome: 'commit' | 'rollback', seconds: number): void;
  /** SQLite's group commit committed a batch of `units` use cases (src/db/group-commit.ts). */
  batchCommitted(units: number, seconds: number): void;
}

export type WebhookOutcome = 'delivered' | 'http_error' | 'network_error' | 'given_up';

/** Where a refund waits for a decision, and the states that decide it. */
const REVIEW_STAGES: Record<string, { stage: string; decisions: Record<string, string> }> = {
  pending_merchant: {
    stage: 'merchant',
    decisions: { pending_acquirer: 'approved', rejected_by_merchant: 'rejected' },
  },
  pending_acquirer: {
    stage: 'acquirer',
    decisions: { processing: 'approved', rejected_by_acquirer: 'rejected' },
  },
};

/** States a refund ends in (`failed` may still be retried, but it is an outcome of an attempt). */
const OUTCOMES = new Set(['succeeded', 'failed', 'rejected_by_merchant', 'rejected_by_acquirer', 'canceled']);

const MINUTE = 60;
const HOUR = 60 * MINUTE;

export function createMetrics(): Metrics {
  const registry = new Registry();
  // Process and runtime metrics, event-loop lag (nodejs_eventloop_lag_*) among them.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: string[], buckets: number[]) =>
    new Histogram({ name, help, labelNames, buckets, registers });

  const refundsCreated = counter(
    'refunddesk_refunds_created_total',
    'Refunds created, by channel and the state they start in',
    ['channel', 'status'],
  );
  const refundAmount = histogram(
    'refunddesk_refund_amount_minor',
    'Amount of each refund created, in minor units (fen, cents) of its currency',
    ['currency'],
    [100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 10_000_000],
  );
  const refundOutcomes = counter(
    'refunddesk_refund_outcomes_total',
    'Refunds reaching an outcome state (succeeded, failed, rejected_*, canceled), by channel',
    ['channel', 'outcome'],
  );
  const reviewSeconds = histogram(
    'refunddesk_refund_review_decision_seconds',
    'Time a refund waited for its review decision, by stage (merchant, acquirer) and decision',
    ['stage', 'decision'],
    [1, 10, MINUTE, 10 * MINUTE, HOUR, 4 * HOUR, 24 * HOUR, 3 * 24 * HOUR, 7 * 24 * HOUR],
  );
  const secretFailures = counter(
    'refunddesk_secret_check_failures_total',
    'Wrong entries of guarded secrets (refund_password, user, operator, recovery_code, unlock_code)',
    ['secret'],
  );
  const secretLocks = counter(
    'refunddesk_secret_lockouts_total',
    'Locks set by too many wrong entries, by secret kind',
    ['secret'],
  );
  const codesSent = counter(
    'refunddesk_one_time_codes_sent_total',
    'One-time recovery codes queued for sending, by channel (sms, email)',
    ['channel'],
  );
  const webhookAttempts = counter('refunddesk_webhook_attempts_total', 'Webhook delivery attempts, by outcome', [
    'outcome',
  ]);
  const webhookSeconds = histogram(
    'refunddesk_webhook_attempt_duration_seconds',
    "Time of one webhook HTTP exchange (until the merchant's answer or the timeout)",
    ['outcome'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const transactions = histogram(
    'refunddesk_db_transaction_duration_seconds',
    'Database transactions (count and time, waiting for the connection included), by outcome',
    ['outcome'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );

  const batchUnits = histogram(
    'refunddesk_db_commit_batch_units',
    'SQLite group commit: use cases per COMMIT (one fsync each)',
    [],
    [1, 2, 4, 8, 16, 32, 64],
  );
  const batchSeconds = histogram(
    'refunddesk_db_commit_batch_duration_seconds',
    'SQLite group commit: time of one batch, from BEGIN to the end of its COMMIT',
    [],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  );

  // Known series start at 0, so a rate() or an alert has a series before the first event.
  for (const channel of ['sms', 'email']) codesSent.inc({ channel }, 0);
  for (const outcome of ['delivered', 'http_error', 'network_error', 'given_up']) webhookAttempts.inc({ outcome }, 0);
  secretFailures.inc({ secret: 'refund_password' }, 0);
  secretLocks.inc({ secret: 'refund_password' }, 0);

  return {
    registry,
    refundCreated(r) {
      refundsCreated.inc({ channel: r.channel, status: r.status });
      refundAmount.observe({ currency: r.currency }, r.amount);
    },
    refundMoved(r) {
      if (OUTCOMES.has(r.to)) refundOutcomes.inc({ channel: r.channel, outcome: r.to });
      const review = REVIEW_STAGES[r.from];
      const decision = review?.decisions[r.to];
      if (review && decision) reviewSeconds.observe({ stage: review.stage, decision }, Math.max(0, r.waitedSeconds));
    },
    secretCheckFailed(kind, locked) {
      secretFailures.inc({ secret: kind });
      if (locked) secretLocks.inc({ secret: kind });
    },
    oneTimeCodeSent(channel) {
      codesSent.inc({ channel });
    },
    webhookAttempt(outcome, seconds) {
      webhookAttempts.inc({ outcome });
      if (seconds !== undefined) webhookSeconds.observe({ outcome }, seconds);
    },
    transactionEnded(outcome, seconds) {
      transactions.observe({ outcome }, seconds);
    },
    batchCommitted(units, seconds) {
      batchUnits.observe(units);
      batchSeconds.observe(seconds);
    },
  };
}
