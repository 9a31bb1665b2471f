import { CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { AppError } from '../errors.js';
import { openContext } from '../runtime.js';

/**
 * How a CLI command runs and how it fails: every failure is ONE line on standard error starting
 * `error:` and a non-zero exit, never a stack trace (set REFUNDDESK_DEBUG=1 to see one).
 */

export type WithContext = (fn: (db: Db, ctx: AppContext) => Promise<unknown>) => Promise<void>;

/**
 * The services' field names and the flags a user types for them: the one place a message that
 * names `merchantId` is made to name `--merchant`.
 */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  merchantId: '--merchant',
  acquirerId: '--acquirer',
  agentId: '--agent',
  terminalId: '--terminal',
  notificationId: '--reveal',
  historySize: '--history',
  maxFailures: '--lock-after',
  lockMinutes: '--lock-minutes',
  expiryDays: '--expiry-days',
  minLength: '--min-length',
  maxLength: '--max-length',
};
const FIELD = new RegExp(`\\b(${Object.keys(FLAG_OF_FIELD).join('|')})\\b`, 'g');

/** A message with every internal field name replaced by the flag that sets it. */
export function inFlags(message: string): string {
  return message.replace(FIELD, (f) => FLAG_OF_FIELD[f] ?? f);
}

/** The one line a failure prints (without the trailing newline). */
export function errorLine(e: unknown): string {
  const oneLine = (s: string) => inFlags(s.replace(/\s*\n\s*/g, ' ').trim());
  if (e instanceof AppError) return `error: ${e.code}: ${oneLine(e.message)}`;
  if (e instanceof ConfigError) return `error: ${oneLine(e.message)}`;
  if (e instanceof CommanderError) return oneLine(e.message).replace(/^(error: )?/, 'error: ');
  return `error: ${oneLine(e instanceof Error ? e.message : String(e))}`;
}

/** Prints `e` as one line and sets a non-zero exit code. */
export function fail(e: unknown): void {
  console.error(errorLine(e));
  if (process.env.REFUNDDESK_DEBUG && e instanceof Error && e.stack) console.error(e.stack);
  process.exitCode = 1;
}

/** Runs `fn` with a migrated database, prints its result as JSON, and closes the database. */
export const withContext: WithContext = async (fn) => {
  const { db, ctx } = await openContext(loadConfig());
  try {
    const out = await fn(db, ctx);
    if (out !== undefined) console.log(JSON.stringify(out, null, 2));
  } catch (e) {
    fail(e);
  } finally {
    await db.close();
  }
};
