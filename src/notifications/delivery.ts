/** What a channel hands to its provider. `reference` is the notification id, stable across retries. */
export interface OutgoingMessage {
  reference: string;
  to: string;
  subject: string;
  text: string;
}

export interface DeliveryResult {
  /** The provider's id for the message when it gives one (SMS gateway id, e-mail Message-ID). */
  providerMessageId: string | null;
}

/** A provider for one channel (SMTP for e-mail, an HTTP gateway for SMS). */
export interface DeliveryProvider {
  send(message: OutgoingMessage): Promise<DeliveryResult>;
}

/**
 * The provider refused the message for good (bad address, rejected content): retrying cannot help,
 * so the notification is marked failed at once. Any other error is retried with backoff.
 * Messages of errors must never carry the message text (it may hold a one-time code).
 */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}
