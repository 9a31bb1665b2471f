import { createHash } from 'node:crypto';

/**
 * SHA-256 of a text (UTF-8), in hex. For high-entropy tokens (sessions, API keys, tracking and
 * share-link secrets: no slow hash needed), and for the seals over canonical JSON (case files).
 */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
