import { BlockList, isIP } from 'node:net';
import { DAY, HOUR } from '../clock.js';
import { webhookEventUnknown, webhookUrlInvalid } from './webhook.errors.js';

/**
 * Merchant webhooks: types and the pure rules (which events an endpoint gets, which URLs it may
 * have, when a failed delivery is tried again). No I/O here.
 */

/** The events RefundDesk emits today. Endpoints subscribe to some of them, or to `*` (all). */
export const webhookEventTypes = [
  'refund.created',
  'refund.pending_acquirer',
  'refund.processing',
  'refund.succeeded',
  'refund.failed',
  'refund.rejected',
  'refund.canceled',
  'dispute.opened',
  'dispute.escalated',
  'dispute.resolved',
  'dispute.referred',
  'dispute.closed',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];
export const WILDCARD = '*';

/**
 * - pending: waiting for its first or next attempt (or being sent right now)
 * - delivered: the endpoint answered 2xx; never sent again
 * - failed: every attempt within the delivery window failed, or the endpoint was deleted
 */
export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** A delivery is retried for this long after its event, then given up. */
export const DELIVERY_WINDOW_MS = DAY;
/** The first retry waits this long; each next one twice as long … */
export const FIRST_RETRY_MS = 30_000;
/** … up to this. */
export const MAX_RETRY_MS = HOUR;
/** A merchant may have this many endpoints (as Stripe allows 16). */
export const MAX_ENDPOINTS_PER_MERCHANT = 16;
export const MAX_URL_LENGTH = 2048;

export interface WebhookEndpoint {
  id: string;
  merchantId: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  createdAt: string;
}

/** What the merchant's server receives, as JSON. `id` is the same for every endpoint and retry. */
export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/** One event on its way to one endpoint: the delivery log. */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/** A well-formed event name (`refund.created`); emitting anything else is a bug in the caller. */
export function isEventTypeName(type: string): boolean {
  return type.length <= 64 && EVENT_TYPE.test(type);
}

/**
 * The subscription list as stored: known event names or `*`, each once, in the order given.
 * @throws webhook_event_unknown naming the first unknown entry
 */
export function normalizeSubscriptions(events: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of events) {
    const e = raw.trim();
    if (e !== WILDCARD && !(webhookEventTypes as readonly string[]).includes(e)) throw webhookEventUnknown(raw);
    if (!out.includes(e)) out.push(e);
  }
  if (out.length === 0) throw webhookEventUnknown('');
  return out;
}

export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes(WILDCARD) || events.includes(type);
}

// Addresses a webhook must not reach in production: loopback, private networks, link-local (cloud
// metadata at 169.254.169.254), carrier-grade NAT, multicast, documentation and reserved ranges.
// IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are matched against the IPv4 rules by BlockList.
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True for an IP address (v4 or v6, no brackets) that is not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.lan', '.intranet'];

/** Host names that only resolve inside a network: `localhost`, `*.local`, single labels (`intranet`). */
export function isLocalHostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || !h.includes('.')) return true;
  return LOCAL_SUFFIXES.some((s) => h.endsWith(s));
}

/**
 * The URL as stored: absolute http(s), no user name or password, no fragment. Unless
 * `allowPrivate`, hosts that are private or loopback addresses or local names are refused here;
 * names that merely resolve to one are refused at delivery time (see sender.ts), when the address
 * actually connected to is known.
 * @throws webhook_url_invalid saying which rule failed
 */
export function checkWebhookUrl(raw: string, opts: { allowPrivate: boolean }): string {
  const text = raw.trim();
  if (text.length > MAX_URL_LENGTH) throw webhookUrlInvalid(`longer than ${MAX_URL_LENGTH} characters`);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw webhookUrlInvalid('not an absolute URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw webhookUrlInvalid('must start with http:// or https://');
  if (u.username || u.password) throw webhookUrlInvalid('must not carry a user name or password');
  if (u.hash) throw webhookUrlInvalid('must not have a #fragment');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw webhookUrlInvalid('has no host');
  if (!opts.allowPrivate) {
    if (isIP(host) ? isPrivateAddress(host) : isLocalHostName(host)) {
      throw webhookUrlInvalid(
        'points at a private, loopback or local address (set WEBHOOK_ALLOW_PRIVATE=on to allow it)',
      );
    }
  }
  return u.toString();
}

/** How long to wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, 4 min … at most 1 h. */
export function retryDelayMs(attempts: number): number {
  const n = Math.max(1, Math.trunc(attempts));
  return Math.min(FIRST_RETRY_MS * 2 ** Math.min(n - 1, 30), MAX_RETRY_MS);
}

/**
 * When to try again after the `attempts`-th failure at `now`, or undefined when that would be
 * later than the delivery window of the event (then the delivery is given up).
 */
export function nextAttemptAt(eventCreatedAt: Date, attempts: number, now: Date): Date | undefined {
  const next = new Date(now.getTime() + retryDelayMs(attempts));
  return next.getTime() > eventCreatedAt.getTime() + DELIVERY_WINDOW_MS ? undefined : next;
}
