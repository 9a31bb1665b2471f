import type { InjectOptions } from 'fastify';
import { DAY, HOUR, MINUTE } from '../../src/clock.js';
import type { Harness } from '../support/harness.js';
import { REFUND_PASSWORD } from '../support/harness.js';
import type { Rng } from './rng.js';

/**
 * The world a money-checker run acts on: the demo merchant's terminal T-0001 and every actor that
 * can move money there, each driving the real HTTP API (`app.inject`) as its client would. What an
 * actor needs to know (tracking secrets, dispute secrets, idempotency keys it used) it keeps here;
 * everything else is read from the database at the start of each round.
 */

/** The README's test cards: what the simulated processor does with a refund to each. */
export const CARDS = {
  approved: '4111111111111111',
  retryOnce: '4000000000000119', // first refund attempt fails (processor_error), a retry succeeds
  merchantBalance: '4000000000000127', // retryable failures, final at the third attempt
  cardClosed: '4000000000005126', // refunds fail for good at once
  failedAfterCapture: '4000000000000259', // the sale takes money but reports failure
} as const;

const CARD_WEIGHTS: readonly (readonly [string, number])[] = [
  [CARDS.approved, 3],
  [CARDS.retryOnce, 4],
  [CARDS.merchantBalance, 3],
  [CARDS.cardClosed, 1],
  [CARDS.failedAfterCapture, 1],
];

const REASONS = ['goods_returned', 'wrong_amount', 'service_complaint', 'duplicate', 'other'] as const;

export interface Reply {
  status: number;
  body: unknown;
}

/** A 5xx, or any answer that is not problem+json when it is an error: a bug, whatever the operation. */
export interface Anomaly {
  round: number;
  kind: string;
  detail: string;
}

interface PaymentView {
  id: string;
  reference: string;
  card_last4: string;
  status: string;
  amount: number;
}
interface RefundView {
  id: string;
  payment_id: string;
  status: string;
  failure_final: number;
  acquirer_review: string | null;
  channel: string;
  amount: number;
}
interface DisputeView {
  id: string;
  status: string;
  refund_id: string | null;
}

/** Something a client sent with an Idempotency-Key: replayed later with the same key and body. */
interface Sent {
  options: InjectOptions;
  status: number;
  body: string;
}

export type OpName =
  | 'sale'
  | 'settle'
  | 'void'
  | 'counter_refund'
  | 'api_refund'
  | 'console_refund'
  | 'customer_request'
  | 'merchant_approve'
  | 'merchant_reject'
  | 'customer_cancel'
  | 'merchant_cancel'
  | 'acquirer_approve'
  | 'acquirer_reject'
  | 'retry'
  | 'open_dispute'
  | 'escalate'
  | 'rule_for_customer'
  | 'rule_for_merchant'
  | 'replay'
  | 'worker';

export const OP_WEIGHTS: readonly (readonly [OpName, number])[] = [
  ['sale', 6],
  ['settle', 2],
  ['void', 2],
  ['counter_refund', 3],
  ['api_refund', 4],
  ['console_refund', 2],
  ['customer_request', 5],
  ['merchant_approve', 4],
  ['merchant_reject', 1],
  ['customer_cancel', 1],
  ['merchant_cancel', 1],
  ['acquirer_approve', 3],
  ['acquirer_reject', 1],
  ['retry', 2],
  ['open_dispute', 5],
  ['escalate', 5],
  ['rule_for_customer', 5],
  ['rule_for_merchant', 1],
  ['replay', 3],
  ['worker', 6],
];

export interface Snapshot {
  payments: PaymentView[];
  refunds: RefundView[];
  disputes: DisputeView[];
}

export class World {
  readonly anomalies: Anomaly[] = [];
  readonly counts = new Map<string, number>();
  round = 0;
  operations = 0;
  readonly #trackingSecrets = new Map<string, string>();
  readonly #disputeSecrets = new Map<string, { refundId: string; secret: string }>();
  readonly #sent: Sent[] = [];
  #keys = 0;
  #apiKey: Record<string, string> | undefined;

  constructor(
    readonly h: Harness,
    readonly rng: Rng,
    /** Runs due jobs somewhere else too (a second worker): on PostgreSQL, another process. */
    readonly otherWorker?: () => Promise<void>,
  ) {}

  async snapshot(): Promise<Snapshot> {
    const db = this.h.db.kysely;
    const [payments, refunds, disputes] = await Promise.all([
      db
        .selectFrom('payments')
        .select(['id', 'reference', 'card_last4', 'status', 'amount'])
        .where('merchant_id', '=', this.h.ids.merchantId)
        .execute(),
      db
        .selectFrom('refunds')
        .select(['id', 'payment_id', 'status', 'failure_final', 'acquirer_review', 'channel', 'amount'])
        .execute(),
      db.selectFrom('disputes').select(['id', 'status', 'refund_id']).execute(),
    ]);
    return {
      payments,
      refunds: refunds.map((r) => ({ ...r, failure_final: Number(r.failure_final) })),
      disputes,
    };
  }

  /** Sends one request; a 5xx or a non-problem error is recorded as an anomaly. */
  async call(options: InjectOptions, op: string): Promise<Reply> {
    this.operations++;
    const r = await this.h.app.inject(options);
    const tally = `${op} ${r.statusCode}`;
    this.counts.set(tally, (this.counts.get(tally) ?? 0) + 1);
    if (r.statusCode >= 500) {
      this.anomalies.push({
        round: this.round,
        kind: `http_${r.statusCode}`,
        detail: `${op}: ${r.body.slice(0, 300)}`,
      });
    } else if (r.statusCode >= 400 && !String(r.headers['content-type']).includes('application/problem+json')) {
      this.anomalies.push({ round: this.round, kind: 'not_problem_json', detail: `${op}: ${r.statusCode}` });
    }
    let body: unknown = r.body;
    try {
      body = r.json();
    } catch {}
    // Only an answer that changed something is kept for its key: a refused request rolled back,
    // and its replay is a new attempt that may now succeed.
    if (options.headers && 'idempotency-key' in options.headers && r.statusCode < 300) {
      this.#sent.push({ options, status: r.statusCode, body: r.body });
    }
    return { status: r.statusCode, body };
  }

  #key(): Record<string, string> {
    return { 'idempotency-key': `chk-${this.rng.seed}-${++this.#keys}` };
  }

  async #headers(who: 'cashier' | 'supervisor' | 'owner' | 'reviewer' | 'api'): Promise<Record<string, string>> {
    if (who === 'api') {
      this.#apiKey ??= await this.h.apiKey(['refunds:write', 'payments:write', 'read']);
      return this.#apiKey;
    }
    if (who === 'cashier' || who === 'supervisor') return this.h.operator(who);
    return this.h.login(who);
  }

  /** Some of the refundable amount, all of it, or more than is left (which must be refused). */
  #amount(p: PaymentView): number {
    return this.rng.weighted([
      [this.rng.int(1, Math.max(1, Math.floor(p.amount / 2))), 5],
      [p.amount, 2],
      [p.amount + this.rng.int(1, 500), 1],
    ]);
  }

  /** One operation of `name` against the state in `s`, concurrently with the round's others. */
  async perform(name: OpName, s: Snapshot): Promise<void> {
    const rng = this.rng;
    const refundable = s.payments.filter((p) => p.status === 'approved' || p.status === 'failed');
    const refundsIn = (...statuses: string[]) => s.refunds.filter((r) => statuses.includes(r.status));
    const ours = (rs: RefundView[]) => rs.filter((r) => this.#trackingSecrets.has(r.id));
    switch (name) {
      case 'sale': {
        const amount = rng.int(100, 20_000);
        const card = rng.weighted(CARD_WEIGHTS);
        await this.call(
          {
            method: 'POST',
            url: '/api/v1/payments',
            headers: { ...(await this.#headers('cashier')), ...this.#key() },
            payload: { amount, card: { number: card } },
          },
          name,
        );
        return;
      }
      case 'settle':
        await this.call(
          {
            method: 'POST',
            url: `/api/v1/terminals/${this.h.ids.terminalId}/settle`,
            headers: await this.#headers('supervisor'),
          },
          name,
        );
        return;
      case 'void': {
        const p = s.payments.filter((x) => x.status === 'approved');
        if (p.length === 0) return;
        await this.call(
          {
            method: 'POST',
            url: `/api/v1/payments/${rng.pick(p).id}/void`,
            headers: { ...(await this.#headers('supervisor')), ...this.#key() },
            payload: { refundPassword: REFUND_PASSWORD },
          },
          name,
        );
        return;
      }
      case 'counter_refund':
      case 'api_refund':
      case 'console_refund': {
        if (refundable.length === 0) return;
        const p = rng.pick(refundable);
        const who = name === 'api_refund' ? 'api' : name === 'counter_refund' ? 'cashier' : 'owner';
        const twins = rng.chance(0.2) ? rng.int(2, 4) : 1;
        const payload = {
          paymentId: p.id,
          amount: this.#amount(p),
          reason: rng.pick(REASONS),
          ...(who === 'api' ? {} : { refundPassword: REFUND_PASSWORD }),
        };
        const headers = await this.#headers(who);
        await Promise.all(
          Array.from({ length: twins }, () =>
            this.call(
              { method: 'POST', url: '/api/v1/refunds', headers: { ...headers, ...this.#key() }, payload },
              name,
            ),
          ),
        );
        return;
      }
      case 'customer_request': {
        if (refundable.length === 0) return;
        const p = rng.pick(refundable);
        const r = await this.call(
          {
            method: 'POST',
            url: '/api/v1/public/refund-requests',
            remoteAddress: `127.0.${rng.int(0, 255)}.${rng.int(1, 254)}`,
            headers: this.#key(),
            payload: {
              paymentReference: p.reference,
              cardLast4: p.card_last4,
              amount: this.#amount(p),
              reason: p.status === 'failed' ? 'payment_failure' : rng.pick(REASONS),
              description: 'checker: the customer asks for a refund',
              contact: { email: 'customer@checker.test' },
              language: rng.pick(['zh-CN', 'en']),
            },
          },
          name,
        );
        const b = r.body as { id?: string; trackingSecret?: string };
        if (r.status === 201 && b.id && b.trackingSecret) this.#trackingSecrets.set(b.id, b.trackingSecret);
        return;
      }
      case 'merchant_approve':
      case 'merchant_reject': {
        const rs = refundsIn('pending_merchant');
        if (rs.length === 0) return;
        const approve = name === 'merchant_approve';
        await this.call(
          {
            method: 'POST',
            url: `/api/v1/refunds/${rng.pick(rs).id}/merchant-decision`,
            headers: { ...(await this.#headers(rng.pick(['owner', 'supervisor'] as const))), ...this.#key() },
            payload: approve
              ? { decision: 'approve', refundPassword: REFUND_PASSWORD }
              : { decision: 'reject', reason: 'checker: the goods were not returned' },
          },
          name,
        );
        return;
      }
      case 'customer_cancel': {
        const rs = ours(refundsIn('pending_merchant'));
        if (rs.length === 0) return;
        const r = rng.pick(rs);
        await this.call(
          {
            method: 'POST',
            url: `/api/v1/public/refunds/${r.id}/cancel`,
            payload: { secret: this.#trackingSecrets.get(r.id), lang: 'en' },
          },
          name,
        );
        return;
      }
      case 'merchant_cancel': {
        const rs = refundsIn('pending_acquirer');
        if (rs.length === 0) return;
        await this.call(
          {
            method: 'POST',
            url: `/api/v1/refunds/${rng.pick(rs).id}/cancel`,
            headers: await this.#headers('owner'),
            payload: { reason: 'checker: the merchant cancels' },
          },
          name,
        );
        return;
      }
      case 'acquirer_approve':
      case 'acquirer_reject': {
        const rs = refundsIn('pending_acquirer');
        if (rs.length === 0) return;
        await this.call(
          {
            method: 'POST',
            url: `/api/v1/refunds/${rng.pick(rs).id}/acquirer-decision`,
            headers: { ...(await this.#headers('reviewer')), ...this.#key() },
            payload: { decision: name === 'acquirer_approve' ? 'approve' : 'reject', reason: 'checker review' },
          },
          name,
        );
        return;
      }
      case 'retry': {
        // Mostly refunds nobody disputes: a disputed one is retried in the race with its ruling.
        const disputed = new Set(s.disputes.filter((d) => d.status !== 'closed').map((d) => d.refund_id));
        const all = refundsIn('failed');
        const quiet = all.filter((r) => !disputed.has(r.id));
        const rs = quiet.length > 0 && rng.chance(0.8) ? quiet : all;
        if (rs.length === 0) return;
        const r = rng.pick(rs);
        const who = rng.pick(['owner', 'supervisor', 'reviewer'] as const);
        const headers = await this.#headers(who);
        // Several a few milliseconds apart, as the review found them: the race with a ruling.
        const copies = rng.int(1, 4);
        await Promise.all(
          Array.from({ length: copies }, async (_, i) => {
            if (i > 0) await new Promise((resolve) => setTimeout(resolve, rng.int(0, 3)));
            await this.call(
              { method: 'POST', url: `/api/v1/refunds/${r.id}/retry`, headers: { ...headers, ...this.#key() } },
              name,
            );
          }),
        );
        return;
      }
      case 'open_dispute': {
        // Failed refunds first: a ruling on one races the merchant's retries.
        const failed = ours(refundsIn('failed')).filter((r) => r.failure_final === 0);
        const rs =
          failed.length > 0 && rng.chance(0.7)
            ? failed
            : ours(refundsIn('failed', 'rejected_by_merchant', 'rejected_by_acquirer', 'pending_merchant'));
        if (rs.length === 0) return;
        const r = rng.pick(rs);
        const secret = this.#trackingSecrets.get(r.id) as string;
        const reply = await this.call(
          {
            method: 'POST',
            url: '/api/v1/disputes',
            remoteAddress: `127.1.${rng.int(0, 255)}.${rng.int(1, 254)}`,
            payload: {
              refundId: r.id,
              trackingSecret: secret,
              description: 'checker: the refund did not arrive',
              language: 'en',
            },
          },
          name,
        );
        const id = (reply.body as { id?: string }).id;
        if (reply.status === 201 && id) this.#disputeSecrets.set(id, { refundId: r.id, secret });
        return;
      }
      case 'escalate': {
        const ds = s.disputes.filter((d) => d.status === 'negotiating' && this.#disputeSecrets.has(d.id));
        if (ds.length === 0) return;
        const d = rng.pick(ds);
        await this.call(
          {
            method: 'POST',
            url: `/api/v1/disputes/${d.id}/escalate`,
            remoteAddress: `127.2.${rng.int(0, 255)}.${rng.int(1, 254)}`,
            payload: { secret: this.#disputeSecrets.get(d.id)?.secret, reason: 'checker: no answer' },
          },
          name,
        );
        return;
      }
      case 'rule_for_customer':
      case 'rule_for_merchant': {
        const ds = s.disputes.filter((d) => d.status === 'escalated');
        if (ds.length === 0) return;
        const d = rng.pick(ds);
        const ruling = this.call(
          {
            method: 'POST',
            url: `/api/v1/disputes/${d.id}/decision`,
            headers: { ...(await this.#headers('reviewer')), ...this.#key() },
            payload: {
              outcome: name === 'rule_for_customer' ? 'resolved_for_customer' : 'resolved_for_merchant',
              ruling: 'checker ruling',
            },
          },
          name,
        );
        // The merchant retries the disputed refund while the ruling is made (the reported race).
        const disputed = s.refunds.find((r) => r.id === d.refund_id && r.status === 'failed' && r.failure_final === 0);
        const headers = await this.#headers('owner');
        if (disputed) this.counts.set('ruling_races_retries', (this.counts.get('ruling_races_retries') ?? 0) + 1);
        // A burst a few milliseconds apart, starting at a random point of the ruling's work.
        const burst = rng.int(0, 600);
        const retries = disputed
          ? Array.from({ length: rng.int(1, 4) }, async () => {
              await new Promise((resolve) => setTimeout(resolve, burst + rng.int(0, 5)));
              await this.call(
                {
                  method: 'POST',
                  url: `/api/v1/refunds/${disputed.id}/retry`,
                  headers: { ...headers, ...this.#key() },
                },
                'retry',
              );
            })
          : [];
        await Promise.all([ruling, ...retries]);
        return;
      }
      case 'replay': {
        if (this.#sent.length === 0) return;
        const first = rng.pick(this.#sent);
        const again = await this.h.app.inject(first.options).then((r) => ({ status: r.statusCode, body: r.body }));
        this.operations++;
        this.counts.set(`${name} ${again.status}`, (this.counts.get(`${name} ${again.status}`) ?? 0) + 1);
        // A replay answers what the first request answered: the same status, the same object and
        // amount (a ruling's replay shows the dispute as it is now, with the refund it ordered).
        const same = (body: string) => {
          const { id, refundId, amount, trackingSecret } = JSON.parse(body) as Record<string, unknown>;
          return JSON.stringify([id, refundId, amount, trackingSecret]);
        };
        // Rate limits (429) come before the replay on purpose: they stop probing, replays included.
        if (again.status !== 429 && (again.status !== first.status || same(again.body) !== same(first.body))) {
          this.anomalies.push({
            round: this.round,
            kind: 'replay_differs',
            detail: `${first.options.method} ${first.options.url}: first ${first.status}, replay ${again.status}`,
          });
        }
        return;
      }
      case 'worker': {
        if (this.otherWorker && rng.chance(0.5)) await this.otherWorker();
        else await this.h.drain();
        return;
      }
    }
  }

  /** How far time moves between rounds: often not at all, sometimes past a deadline. */
  advanceClock(): void {
    const step = this.rng.weighted<number>([
      [0, 4],
      [this.rng.int(1, 30) * MINUTE, 3],
      [this.rng.int(1, 30) * HOUR, 2],
      [this.rng.int(3, 8) * DAY, 1],
    ]);
    this.h.clock.advance(step);
  }
}
