import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures. Every delivery carries
 *
 *   RefundDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${rawBody}`)>
 *
 * where `secret` is the endpoint's whole `whsec_…` string (its UTF-8 bytes are the HMAC key) and
 * `rawBody` the exact bytes received. Signing the timestamp with the body lets a receiver refuse
 * replays of an old delivery. `verifyWebhookSignature` uses nothing but node:crypto, so receivers
 * can copy it as it is.
 */
export const SIGNATURE_HEADER = 'RefundDesk-Signature';

export function webhookSignature(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The header value for a body sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, rawBody: string | Buffer, timestamp: number): string {
  return `t=${timestamp},v1=${webhookSignature(secret, timestamp, rawBody)}`;
}

/**
 * True when `header` (the RefundDesk-Signature value) signs `rawBody` with `secret`, and its
 * timestamp is within `toleranceSeconds` of `now`. Pass the raw body exactly as received, before
 * any JSON parsing. Several `v1=` entries are allowed (any one may match); comparison is in
 * constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Buffer,
  toleranceSeconds = 300,
  now: Date = new Date(),
): boolean {
  if (typeof header !== 'string' || header.length > 4096) return false;
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const key = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (t === undefined || signatures.length === 0) return false;
  if (Math.abs(Math.floor(now.getTime() / 1000) - t) > toleranceSeconds) return false;
  const expected = Buffer.from(webhookSignature(secret, t, rawBody), 'hex');
  let ok = false;
  for (const s of signatures) {
    // No early exit: every candidate is compared.
    if (timingSafeEqual(expected, Buffer.from(s, 'hex'))) ok = true;
  }
  return ok;
}
