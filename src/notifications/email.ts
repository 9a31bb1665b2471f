import {
  type DeliveryProvider,
  type DeliveryResult,
  type OutgoingMessage,
  PermanentDeliveryError,
} from './delivery.js';

export const DEFAULT_SMTP_FROM = 'RefundDesk <no-reply@refunddesk.local>';

// SMTP replies that mean "fix the configuration", not "this message can never be delivered":
// authentication required / failed. They are retried so a corrected password rescues the queue.
const RETRYABLE_5XX = new Set([530, 534, 535, 538]);

/** A pooled nodemailer transport, loaded on first use: a server that sends no e-mail never pays its memory. */
type Pool = ReturnType<typeof import('nodemailer').createTransport>;

/**
 * How many SMTP connections one process keeps open to a server at most. The worker runs 16 jobs at
 * once (`LANES`, src/jobs/job.service.ts), so at most two sends wait on each connection: a send
 * then finishes within 2 × the 30 s socket timeout, inside the notification's 2-minute sending
 * lease (notification.service.ts), so no other worker starts a second send of it meanwhile.
 */
export const SMTP_MAX_CONNECTIONS = 8;
/** An idle pooled connection is closed after this long (ms): a quiet server keeps none open. */
const SMTP_IDLE_MS = 5_000;

/** The process's pools, by SMTP URL and sender: every send to one server shares its connections. */
const pools = new Map<string, Promise<Pool>>();

/**
 * E-mail over SMTP with nodemailer. `smtpUrl` is a nodemailer connection URL:
 * `smtp://user:pass@host:587` (STARTTLS when offered), `smtps://…:465` (TLS), and transport
 * options as query parameters (`?ignoreTLS=true` for a loopback test server).
 *
 * Messages go over a pool of connections kept open between sends (at most
 * `SMTP_MAX_CONNECTIONS`, each closed after `SMTP_IDLE_MS` idle or 100 messages), not a connection
 * — TCP, greeting, EHLO, TLS, AUTH — per message: `npx tsx bench/email.ts` measures both.
 *
 * Timeouts are short on purpose: a send must finish well inside the notification's sending lease
 * (notification.service.ts), or another worker could start a second send.
 */
export class SmtpEmailProvider implements DeliveryProvider {
  readonly #url: string;
  readonly #from: string;

  constructor(smtpUrl: string, from: string = DEFAULT_SMTP_FROM) {
    this.#url = smtpUrl;
    this.#from = from;
  }

  #pool(): Promise<Pool> {
    const key = `${this.#from}\n${this.#url}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = import('nodemailer').then(({ default: nodemailer }) =>
        // Options in the URL's query win over these defaults.
        nodemailer.createTransport({
          url: this.#url,
          pool: true,
          maxConnections: SMTP_MAX_CONNECTIONS,
          idleTimeout: SMTP_IDLE_MS,
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 30_000,
        }),
      );
      pools.set(key, pool);
    }
    return pool;
  }

  async send(m: OutgoingMessage): Promise<DeliveryResult> {
    const transport = await this.#pool();
    // The Message-ID is derived from the notification id, so a resend after a crash (see the
    // at-least-once window in notification.service.ts) carries the same Message-ID, which lets
    // mail systems and clients recognise the duplicate.
    const messageId = `<${m.reference}@${domainOf(this.#from)}>`;
    try {
      const info = await transport.sendMail({
        from: this.#from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId,
        headers: { 'X-RefundDesk-Notification': m.reference },
      });
      return { providerMessageId: info.messageId || messageId };
    } catch (e) {
      const code = (e as { responseCode?: unknown }).responseCode;
      const summary = describe(e);
      if (typeof code === 'number' && code >= 500 && !RETRYABLE_5XX.has(code)) {
        throw new PermanentDeliveryError(`smtp rejected the message: ${summary}`);
      }
      throw new Error(`smtp send failed: ${summary}`);
    }
  }
}

/** Closes every pooled SMTP connection of this process (a stopping server, a test's end). */
export async function closeSmtpPools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  for (const pool of await Promise.all(open)) pool.close();
}

function domainOf(from: string): string {
  const m = /@([^>\s]+)>?\s*$/.exec(from);
  return m ? m[1] : 'refunddesk.local';
}

/** The error's code and the server's reply line; never the message itself. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const x = e as Error & { code?: string; responseCode?: number; response?: string };
  const parts = [x.code, x.responseCode, x.response ?? x.message].filter((p) => p !== undefined && p !== '');
  return parts.join(' ').slice(0, 300);
}
