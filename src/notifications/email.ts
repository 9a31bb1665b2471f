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

/**
 * E-mail over SMTP with nodemailer. `smtpUrl` is a nodemailer connection URL:
 * `smtp://user:pass@host:587` (STARTTLS when offered), `smtps://…:465` (TLS), and transport
 * options as query parameters (`?ignoreTLS=true` for a loopback test server).
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

  async send(m: OutgoingMessage): Promise<DeliveryResult> {
    // Loaded on first use: a server that sends no e-mail never pays its memory.
    const { default: nodemailer } = await import('nodemailer');
    // Options in the URL's query win over these defaults.
    const transport = nodemailer.createTransport({
      url: this.#url,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
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
    } finally {
      transport.close();
    }
  }
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
