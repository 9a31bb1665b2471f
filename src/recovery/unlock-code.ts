import { createHash, createHmac, randomInt } from 'node:crypto';

/**
 * The agent's challenge–response reset, pure functions shared by the server and (in spirit) the
 * terminal, which holds the same per-terminal key and so can check an unlock code offline.
 *
 * - Challenge: 8 random digits + 2 check digits bound to the terminal serial, so an agent who
 *   types a challenge against the wrong terminal (or mistypes one) is told at once.
 * - Unlock code: 8 digits, HOTP-style dynamic truncation (RFC 4226 §5.3) of
 *   HMAC-SHA256(terminal key, serial ‖ challenge ‖ time step). The agent never sees the password;
 *   the code only lets the terminal set a new one.
 */
export const CHALLENGE_DIGITS = 10;
export const UNLOCK_CODE_DIGITS = 8;

function checkDigits(serial: string, body: string): string {
  const h = createHash('sha256').update(`${serial}:${body}`).digest();
  return String(h.readUInt16BE(0) % 100).padStart(2, '0');
}

export function newChallenge(serial: string): string {
  const body = String(randomInt(0, 100_000_000)).padStart(8, '0');
  return body + checkDigits(serial, body);
}

export function challengeMatchesSerial(serial: string, challenge: string): boolean {
  if (!/^\d{10}$/.test(challenge)) return false;
  return checkDigits(serial, challenge.slice(0, 8)) === challenge.slice(8);
}

export function timeStep(at: Date, stepMinutes: number): number {
  return Math.floor(at.getTime() / (stepMinutes * 60_000));
}

export function unlockCode(terminalKeyHex: string, serial: string, challenge: string, step: number): string {
  const mac = createHmac('sha256', Buffer.from(terminalKeyHex, 'hex'))
    .update(`${serial}|${challenge}|${step}`)
    .digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 10 ** UNLOCK_CODE_DIGITS).padStart(UNLOCK_CODE_DIGITS, '0');
}
