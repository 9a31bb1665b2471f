/**
 * The baseline for phase 1: a bare Fastify 5 app whose one route does RefundDesk's refund SQL work
 * with better-sqlite3 directly, in one BEGIN IMMEDIATE transaction, on a database with RefundDesk's
 * schema and pragmas (prepared by baseline-db.ts). No validation library, no query builder, no
 * logger, no serializer schema: what is left is the floor that HTTP + SQLite + fsync impose.
 *
 * Run as a child process by bench/run.ts: DATABASE_URL, PORT, HOST.
 */
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { newId } from '../src/ids.js';
import { openLikeRefundDesk } from './sqlite.js';

const sha256Hex = (v: string) => createHash('sha256').update(v).digest('hex');

const db = openLikeRefundDesk(process.env.DATABASE_URL ?? '');

const q = {
  apiKey: db.prepare(
    `SELECT api_keys.id, api_keys.merchant_id, api_keys.scopes, merchants.acquirer_id
       FROM api_keys INNER JOIN merchants ON merchants.id = api_keys.merchant_id
      WHERE api_keys.key_hash = ? AND api_keys.revoked_at IS NULL`,
  ),
  payment: db.prepare('SELECT * FROM payments WHERE id = ?'),
  reserved: db.prepare(
    `SELECT COALESCE(SUM(amount), 0) AS total FROM refunds
      WHERE payment_id = ? AND status NOT IN ('rejected_by_merchant', 'rejected_by_acquirer', 'canceled', 'failed')`,
  ),
  insertRefund: db.prepare(
    `INSERT INTO refunds (id, payment_id, merchant_id, amount, currency, reason, status, channel, note,
       failure_reason, processor_reference, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending_acquirer', 'api', NULL, NULL, NULL, ?, ?)`,
  ),
  insertEvent: db.prepare(
    `INSERT INTO refund_events (id, refund_id, from_status, to_status, actor_kind, actor_id, note, created_at)
     VALUES (?, ?, NULL, 'pending_acquirer', 'api_key', ?, 'refund requested by the merchant', ?)`,
  ),
  insertJob: db.prepare(
    `INSERT INTO jobs (id, kind, payload, run_at, attempts, locked_by, locked_until, last_error, done_at, created_at)
     VALUES (?, 'refund.acquirer_review', ?, ?, 0, NULL, NULL, NULL, NULL, ?)`,
  ),
  health: db.prepare('SELECT id FROM merchants LIMIT 1'),
};

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

interface Body {
  paymentId: string;
  amount: number;
  reason: string;
}

const createRefund = db.transaction((token: string, body: Body) => {
  const key = q.apiKey.get(sha256Hex(token)) as { id: string; merchant_id: string; scopes: string } | undefined;
  if (!key) throw new Refusal(401, 'unauthenticated');
  if (!(JSON.parse(key.scopes) as string[]).includes('refunds:write')) throw new Refusal(403, 'insufficient_scope');
  const p = q.payment.get(body.paymentId) as
    | { id: string; merchant_id: string; status: string; currency: string; captured_amount: number }
    | undefined;
  if (!p || p.merchant_id !== key.merchant_id) throw new Refusal(404, 'not_found');
  if (p.status !== 'approved' && p.status !== 'failed') throw new Refusal(409, 'payment_not_refundable');
  const reserved = (q.reserved.get(p.id) as { total: number }).total;
  if (body.amount > p.captured_amount - reserved) throw new Refusal(409, 'refund_exceeds_refundable');
  const at = new Date().toISOString();
  const id = newId('re');
  q.insertRefund.run(id, p.id, p.merchant_id, body.amount, p.currency, body.reason, at, at);
  q.insertEvent.run(newId('rev'), id, key.id, at);
  q.insertJob.run(newId('job'), JSON.stringify({ refundId: id }), at, at);
  return {
    id,
    status: 'pending_acquirer',
    paymentId: p.id,
    merchantId: p.merchant_id,
    amount: body.amount,
    currency: p.currency,
    reason: body.reason,
    channel: 'api',
    note: null,
    failureReason: null,
    processorReference: null,
    timeline: [
      {
        from: null,
        to: 'pending_acquirer',
        actor: { kind: 'api_key', id: key.id },
        note: 'refund requested by the merchant',
        at,
      },
    ],
    createdAt: at,
    updatedAt: at,
  };
});

const app = Fastify({ logger: false });

app.post('/api/v1/refunds', async (req, reply) => {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const b = req.body as Partial<Body> | undefined;
  if (!token) return reply.code(401).send({ code: 'unauthenticated' });
  if (typeof b?.paymentId !== 'string' || !Number.isInteger(b.amount) || typeof b.reason !== 'string') {
    return reply.code(400).send({ code: 'validation_failed' });
  }
  try {
    // .immediate(): BEGIN IMMEDIATE … COMMIT, as RefundDesk's SQLite driver does.
    return reply.code(201).send(createRefund.immediate(token, b as Body));
  } catch (e) {
    if (e instanceof Refusal) return reply.code(e.status).send({ code: e.code });
    throw e;
  }
});

// Readiness only (bench/procs.ts polls it); not measured.
app.get('/healthz', async () => {
  q.health.get();
  return { status: 'ok', engine: 'sqlite' };
});

const close = async () => {
  await app.close();
  db.close();
  process.exit(0);
};
process.once('SIGTERM', () => void close());
process.once('SIGINT', () => void close());

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8081) });
