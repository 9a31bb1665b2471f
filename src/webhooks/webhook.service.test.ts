import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { type Harness, openHarness } from '../../test/support/harness.js';
import type { Actor } from '../auth/actor.js';
import { HOUR } from '../clock.js';
import { openSecret } from '../crypto/seal.js';
import { transaction } from '../db/transaction.js';
import { drainJobs, enqueueJob } from '../jobs/job.service.js';
import { purposeKey } from '../secret-key.js';
import { verifyWebhookSignature } from './signature.js';
import { type Receiver, startReceiver } from './test-receiver.js';
import { DELIVERY_WINDOW_MS, retryDelayMs } from './webhook.js';
import { claimDelivery, findDeliveryRow, findEndpointRow } from './webhook.repository.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  emitWebhookEvent,
  JOB_DELIVER_WEBHOOK,
  listWebhookDeliveries,
  listWebhookEndpoints,
} from './webhook.service.js';

const KEY = randomBytes(32).toString('hex');

function owner(merchantId: string): Actor {
  return {
    kind: 'user',
    id: 'usr_webhooktest',
    role: 'merchant_owner',
    merchantId,
    terminalId: null,
    acquirerId: null,
    agentId: null,
    scopes: [],
    sessionId: null,
    mustChangePassword: false,
  };
}

describe.each(engines())('webhook deliveries (%s)', (engine) => {
  let h: Harness;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    h = await openHarness(engine, { secretKey: KEY });
  });
  afterEach(async () => {
    // Each test starts with no endpoints, so events of one test never reach another's receiver.
    for (const m of [h.ids.merchantId, h.ids.otherMerchantId]) {
      for (const e of (await listWebhookEndpoints(h.db.kysely, owner(m), { limit: 100 })).data) {
        await deleteWebhookEndpoint(h.db, h.ctx, owner(m), e.id);
      }
    }
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(() => h?.close());

  async function receiver(statuses: number[] = [], fallback = 200) {
    const r = await startReceiver(statuses, fallback);
    receivers.push(r);
    return r;
  }

  function endpoint(url: string, events: string[] = ['*'], merchantId = h.ids.merchantId) {
    return createWebhookEndpoint(h.db, h.ctx, owner(merchantId), { url, events });
  }

  function emit(type: string, data: Record<string, unknown> = {}, merchantId = h.ids.merchantId) {
    return transaction(h.db, (trx) => emitWebhookEvent(trx, h.ctx, merchantId, type, data));
  }

  async function deliveries(endpointId: string, merchantId = h.ids.merchantId) {
    return (await listWebhookDeliveries(h.db.kysely, owner(merchantId), endpointId, { limit: 100 })).data;
  }

  it('delivers a signed event that the verification snippet accepts, and nothing else does', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url, ['refund.created']);
    await emit('refund.created', { refundId: 're_1', amount: 1500, currency: 'CNY' });
    await drainJobs(h.db, h.ctx);

    expect(r.received).toHaveLength(1);
    const [got] = r.received;
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/hooks/refunddesk');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe('RefundDesk-Webhooks/1');
    const event = JSON.parse(got.rawBody);
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: 'refund.created',
      createdAt: h.clock.now().toISOString(),
      data: { refundId: 're_1', amount: 1500, currency: 'CNY' },
    });
    expect(got.headers['refunddesk-event-id']).toBe(event.id);

    const header = got.headers['refunddesk-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const now = h.clock.now();
    expect(verifyWebhookSignature(ep.secret, header, got.rawBody, 300, now)).toBe(true);
    expect(verifyWebhookSignature(ep.secret, header, got.rawBody.replace('1500', '150000'), 300, now)).toBe(false);
    expect(verifyWebhookSignature(`whsec_${'A'.repeat(43)}`, header, got.rawBody, 300, now)).toBe(false);
    expect(verifyWebhookSignature(ep.secret, header, got.rawBody, 300, new Date(now.getTime() + 10 * 60_000))).toBe(
      false,
    );

    const [d] = await deliveries(ep.id);
    expect(d).toMatchObject({
      eventId: event.id,
      eventType: 'refund.created',
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: now.toISOString(),
    });
  });

  it('retries 500, 500 then 200: delivered exactly once, after 3 attempts, with the same event', async () => {
    const r = await receiver([500, 500]);
    const ep = await endpoint(r.url);
    await emit('refund.succeeded', { refundId: 're_2' });
    const start = h.clock.now().getTime();

    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(1);
    let [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, deliveredAt: null });
    expect(d.lastError).toMatch(/^HTTP 500/);
    expect(d.nextAttemptAt).toBe(new Date(start + 30_000).toISOString());

    // Not due yet: draining again sends nothing.
    h.clock.advance(29_000);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(1);

    h.clock.advance(1_000);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(2);
    [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 2, lastStatusCode: 500 });
    expect(d.nextAttemptAt).toBe(new Date(h.clock.now().getTime() + 60_000).toISOString());

    h.clock.advance(60_000);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(3);
    [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null });

    // Nothing is sent again, however long we wait.
    h.clock.advance(25 * HOUR);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((x) => x.rawBody)).size).toBe(1);
    expect(new Set(r.received.map((x) => x.headers['refunddesk-event-id'])).size).toBe(1);
    // Each attempt is signed at its own time.
    expect(new Set(r.received.map((x) => x.headers['refunddesk-signature'])).size).toBe(3);
  });

  it('gives up 24 hours after the event and marks the delivery failed', async () => {
    const r = await receiver([], 503);
    const ep = await endpoint(r.url);
    await emit('refund.failed', { refundId: 're_3' });
    const created = h.clock.now().getTime();

    // The schedule: an attempt at once, then after each failure 30 s, 1 min … 1 h, while within 24 h.
    let expected = 1;
    for (let at = created + retryDelayMs(1); at <= created + DELIVERY_WINDOW_MS; at += retryDelayMs(expected)) {
      expected++;
    }

    for (let guard = 0; guard < 100; guard++) {
      await drainJobs(h.db, h.ctx);
      const [d] = await deliveries(ep.id);
      if (d.status !== 'pending') break;
      h.clock.set(d.nextAttemptAt as string);
    }
    const [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'failed', attempts: expected, lastStatusCode: 503, nextAttemptAt: null });
    expect(r.received).toHaveLength(expected);
    expect(h.clock.now().getTime()).toBeLessThanOrEqual(created + DELIVERY_WINDOW_MS);

    h.clock.advance(DELIVERY_WINDOW_MS);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(expected);
  });

  it('sends an event only to endpoints subscribed to it (or to *), and only the merchant’s own', async () => {
    const r1 = await receiver();
    const r2 = await receiver();
    const r3 = await receiver();
    const succeededOnly = await endpoint(r1.url, ['refund.succeeded']);
    const all = await endpoint(r2.url, ['*']);
    await endpoint(r3.url, ['*'], h.ids.otherMerchantId);

    await emit('refund.created', { refundId: 're_4' });
    await drainJobs(h.db, h.ctx);
    expect(r1.received).toHaveLength(0);
    expect(r2.received).toHaveLength(1);
    expect(await deliveries(succeededOnly.id)).toEqual([]);

    await emit('refund.succeeded', { refundId: 're_4' });
    await drainJobs(h.db, h.ctx);
    expect(r1.received.map((x) => JSON.parse(x.rawBody).type)).toEqual(['refund.succeeded']);
    expect(r2.received.map((x) => JSON.parse(x.rawBody).type)).toEqual(['refund.created', 'refund.succeeded']);
    expect(r3.received).toHaveLength(0);
    // One event, one id, for every endpoint that gets it.
    expect(JSON.parse(r1.received[0].rawBody).id).toBe(JSON.parse(r2.received[1].rawBody).id);
    expect(await deliveries(all.id)).toHaveLength(2);
  });

  it('delivers nothing for a transaction that rolls back', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    const jobsBefore = await h.db.kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', JOB_DELIVER_WEBHOOK)
      .executeTakeFirstOrThrow();
    await expect(
      transaction(h.db, async (trx) => {
        await emitWebhookEvent(trx, h.ctx, h.ids.merchantId, 'refund.created', { refundId: 're_5' });
        throw new Error('the refund failed after all');
      }),
    ).rejects.toThrow('the refund failed after all');
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(0);
    expect(await deliveries(ep.id)).toEqual([]);
    const jobsAfter = await h.db.kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', JOB_DELIVER_WEBHOOK)
      .executeTakeFirstOrThrow();
    expect(Number(jobsAfter.n)).toBe(Number(jobsBefore.n));
  });

  it('never sends a delivered delivery again, even when a job for it runs again', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    await emit('dispute.opened', { disputeId: 'dp_1' });
    await drainJobs(h.db, h.ctx);
    const [d] = await deliveries(ep.id);
    expect(d.status).toBe('delivered');
    await transaction(h.db, (trx) => enqueueJob(trx, h.ctx, JOB_DELIVER_WEBHOOK, { deliveryId: d.id }));
    await transaction(h.db, (trx) => enqueueJob(trx, h.ctx, JOB_DELIVER_WEBHOOK, { deliveryId: d.id }));
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(1);
    expect((await deliveries(ep.id))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('does not send early when a stale duplicate job runs before the next attempt is due', async () => {
    const r = await receiver([500]);
    const ep = await endpoint(r.url);
    await emit('refund.rejected', {});
    await drainJobs(h.db, h.ctx);
    const [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1 });
    await transaction(h.db, (trx) => enqueueJob(trx, h.ctx, JOB_DELIVER_WEBHOOK, { deliveryId: d.id }));
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(1);
    h.clock.advance(30_000);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(2);
    expect((await deliveries(ep.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('leases before sending: a delivery another worker holds is sent only after its lease lapses', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    await emit('refund.canceled', {});
    const [d] = await deliveries(ep.id);
    // Another worker took the lease and died before recording anything.
    const now = h.clock.now();
    const attempt = await claimDelivery(
      h.db.kysely,
      d.id,
      now.toISOString(),
      new Date(now.getTime() + 30_000).toISOString(),
    );
    expect(attempt).toBe(1);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(0);

    h.clock.advance(31_000);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(1);
    expect((await deliveries(ep.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('records a refused connection as a failed attempt without a status code', async () => {
    const r = await receiver();
    const url = r.url;
    await r.close();
    receivers.splice(receivers.indexOf(r), 1);
    const ep = await endpoint(url);
    await emit('refund.created', {});
    await drainJobs(h.db, h.ctx);
    const [d] = await deliveries(ep.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null });
    expect(d.lastError).toMatch(/ECONNREFUSED/);
  });

  it('gives up the waiting deliveries of a deleted endpoint and destroys its secret', async () => {
    const r = await receiver([500]);
    const ep = await endpoint(r.url);
    await emit('refund.created', {});
    await drainJobs(h.db, h.ctx);
    const deliveryId = (await deliveries(ep.id))[0].id;
    await deleteWebhookEndpoint(h.db, h.ctx, owner(h.ids.merchantId), ep.id);
    h.clock.advance(HOUR);
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(1);
    expect(await findDeliveryRow(h.db.kysely, deliveryId)).toMatchObject({
      status: 'failed',
      last_error: 'the endpoint was deleted',
      next_attempt_at: null,
    });
    expect((await findEndpointRow(h.db.kysely, ep.id))?.secret_ciphertext).toBeNull();
    // A deleted endpoint gets no new events.
    await emit('refund.created', {});
    await drainJobs(h.db, h.ctx);
    expect(r.received).toHaveLength(1);
  });

  it('stores the secret encrypted, bound to its endpoint', async () => {
    const ep = await endpoint('https://hooks.example.com/rd');
    const row = await findEndpointRow(h.db.kysely, ep.id);
    expect(row?.secret_ciphertext).toBeTruthy();
    expect(row?.secret_ciphertext).not.toContain(ep.secret);
    expect(row?.secret_ciphertext).not.toContain(ep.secret.slice(6, 20));
    expect(
      openSecret(
        purposeKey({ databaseUrl: 'unused', secretKey: KEY }, 'webhook-secrets'),
        row?.secret_ciphertext as string,
        ep.id,
      ),
    ).toBe(ep.secret);
    expect(
      JSON.stringify(await listWebhookEndpoints(h.db.kysely, owner(h.ids.merchantId), { limit: 10 })),
    ).not.toContain(ep.secret);
  });

  it('refuses a malformed event type or data (a bug in the caller) and writes nothing', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    await expect(emit('Refund Created')).rejects.toThrow(/malformed webhook event type/);
    await expect(emit('refund.created', [] as never)).rejects.toThrow(/must be an object/);
    expect(await deliveries(ep.id)).toEqual([]);
  });
});
