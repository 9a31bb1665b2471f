import { InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import type { ActAs } from './cli-actor.js';
import type { SecretSpec } from './secrets.js';

/**
 * The CLI's option parsers and shared options, used by every command file. A parser refuses a
 * value with commander's one-line error, which names the flag (`option '--limit <n>' argument '0'
 * is invalid. an integer from 1 to 1000`). Terminals are named by id or serial everywhere
 * (`--terminal`, `--as-operator`), resolved by `resolveTerminal` in cli-actor.ts.
 */

export function oneOf<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`one of: ${values.join(', ')}`);
    return v as T;
  };
}

export function listOf<T extends string>(values: readonly T[]) {
  const one = oneOf(values);
  return (v: string): T[] => v.split(',').map((s) => one(s.trim()));
}

export function intFrom({ min, max }: { min: number; max: number }, why = '') {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`an integer from ${min} to ${max}${why}`);
    }
    return n;
  };
}

export function matching(re: RegExp, says: string) {
  return (v: string): string => {
    if (!re.test(v)) throw new InvalidArgumentError(says);
    return v;
  };
}

/** A name shown to people: not blank, at most `max` characters. */
export function text(max = 200) {
  return (v: string): string => {
    const t = v.trim();
    if (!t) throw new InvalidArgumentError('must not be blank');
    if (t.length > max) throw new InvalidArgumentError(`at most ${max} characters`);
    return t;
  };
}

export function email(v: string): string {
  if (!z.string().email().max(254).safeParse(v).success) throw new InvalidArgumentError('an e-mail address');
  return v;
}

/** An id with its prefix, e.g. `mer_…`: a typo is refused before the database is asked. */
export function idOf(prefix: string) {
  return matching(new RegExp(`^${prefix}_[0-9A-Za-z]+$`), `an id starting ${prefix}_`);
}

export const currency = matching(/^[A-Z]{3}$/, 'an ISO 4217 code, e.g. CNY');
export const operatorCode = matching(/^\d{2}$/, 'two digits, 00–99');

export const merchantOption = (description = 'the merchant (mer_…)') =>
  new Option('--merchant <merchantId>', description).argParser(idOf('mer'));
export const terminalOption = () =>
  new Option('--terminal <terminal>', 'terminal id (trm_…) or serial (T-0001)').argParser(text(64));
export const asOperatorOption = () =>
  new Option('--as-operator <terminal:code>', 'act as this terminal operator, e.g. T-0001:00 (terminal id or serial)');
export const asUserOption = () => new Option('--as-user <email>', 'act as this console user, e.g. owner@merchant.demo');

export const who = (o: ActAs): ActAs => ({ asOperator: o.asOperator, asUser: o.asUser });

/** Help footer: the environment variables a command reads, and an example. */
export function footer(env: readonly SecretSpec[], example: string, notes: readonly string[] = []): string {
  const lines = ['', ...notes, ...(notes.length > 0 ? [''] : []), 'Reads DATABASE_URL.'];
  if (env.length > 0) {
    lines.push(
      'Secrets (never on the command line, never printed):',
      ...env.map((s) => `  ${s.env.padEnd(24)} the ${s.what}`),
      'Each comes from its environment variable or, if that is unset, from standard input, one per line',
      'in the order above.',
    );
  }
  lines.push('', 'Example:', `  ${example}`);
  return lines.join('\n');
}
