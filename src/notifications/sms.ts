import {
  type DeliveryProvider,
  type DeliveryResult,
  type OutgoingMessage,
  PermanentDeliveryError,
} from './delivery.js';

/** An SMS gateway. The HTTP one below is the default; another gateway implements this. */
export type SmsProvider = DeliveryProvider;

// HTTP statuses that say the request itself is wrong (bad number, text refused): no retry helps.
// 401/403 (a wrong key), 408, 409 and 429 and every 5xx are retried: the condition can pass.
const PERMANENT_STATUSES = new Set([400, 404, 410, 413, 422]);

/**
 * POSTs `{ to, text, reference }` as JSON to the gateway with `Authorization: Bearer <key>`.
 * 2xx is sent (the message id is read from the JSON reply: `id`, `messageId` or `message_id`),
 * anything else throws. `reference` is the notification id, the same on every retry, so a gateway
 * that deduplicates on it never delivers a resend twice.
 */
export class HttpSmsProvider implements SmsProvider {
  readonly #url: string;
  readonly #key: string;
  readonly #timeoutMs: number;

  constructor(url: string, key: string, opts: { timeoutMs?: number } = {}) {
    this.#url = url;
    this.#key = key;
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
  }

  async send(m: OutgoingMessage): Promise<DeliveryResult> {
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#key}` },
        body: JSON.stringify({ to: m.to, text: m.text, reference: m.reference }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new Error(`sms gateway unreachable: ${cause ?? (e instanceof Error ? e.name : String(e))}`);
    }
    // The reply body is not quoted in errors: a gateway may echo the text, code included.
    const raw = await res.text().catch(() => '');
    if (res.status < 200 || res.status > 299) {
      const msg = `sms gateway answered HTTP ${res.status}`;
      throw PERMANENT_STATUSES.has(res.status) ? new PermanentDeliveryError(msg) : new Error(msg);
    }
    return { providerMessageId: messageIdFrom(raw) };
  }
}

function messageIdFrom(raw: string): string | null {
  try {
    const j = JSON.parse(raw) as Record<string, unknown>;
    const id = j?.id ?? j?.messageId ?? j?.message_id;
    return typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, 200) : null;
  } catch {
    return null;
  }
}
