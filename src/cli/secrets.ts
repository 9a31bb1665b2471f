import * as errors from './cli.errors.js';

/**
 * The one way the CLI reads a secret: from its environment variable or standard input, never from
 * argv (visible in `ps`), never echoed. Every command file declares its secrets as `SecretSpec`s
 * and reads them with `readSecrets`.
 */
export interface SecretSpec {
  env: string;
  what: string;
  /** Longest accepted value (the HTTP schemas' limits). */
  max: number;
  /** Required shape, checked without echoing the value. */
  pattern?: { re: RegExp; says: string };
}

type Input = AsyncIterable<unknown> & { isTTY?: boolean };

/**
 * Reads secrets: each from its environment variable when set, the others from standard input, one
 * line each, in the order listed (so two secrets on stdin are two lines). A terminal on stdin is
 * refused rather than prompted (no echo control here). Errors name the variable, never the value.
 * @throws validation_failed
 */
export async function readSecrets(specs: readonly SecretSpec[], stdin: Input = process.stdin): Promise<string[]> {
  const values: (string | undefined)[] = specs.map((s) => process.env[s.env] || undefined);
  const missing = specs.filter((_, i) => values[i] === undefined);
  if (missing.length > 0) {
    const how = `set ${missing.map((s) => s.env).join(' and ')} or pipe ${missing.length === 1 ? 'it' : 'them, one per line in that order,'} on standard input`;
    if (stdin.isTTY) throw errors.badArgument(how);
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
    const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
    let next = 0;
    for (let i = 0; i < specs.length; i++) {
      if (values[i] !== undefined) continue;
      const line = (lines[next++] ?? '').trim();
      if (!line) throw errors.badArgument(`no ${specs[i].what} given: ${how}`);
      values[i] = line;
    }
  }
  return specs.map((s, i) => {
    const v = values[i] as string;
    if (v.length > s.max) throw errors.badArgument(`${s.env}: at most ${s.max} characters`);
    if (s.pattern && !s.pattern.re.test(v)) throw errors.badArgument(`${s.env}: ${s.pattern.says}`);
    return v;
  });
}

/** One secret (see `readSecrets`). */
export async function readSecret(spec: SecretSpec): Promise<string> {
  const [v] = await readSecrets([spec]);
  return v;
}

export const REFUND_PASSWORD: SecretSpec = { env: 'REFUND_PASSWORD', what: 'refund password', max: 64 };
export const CURRENT_REFUND_PASSWORD: SecretSpec = {
  env: 'CURRENT_REFUND_PASSWORD',
  what: 'current refund password',
  max: 64,
};
export const NEW_REFUND_PASSWORD: SecretSpec = { env: 'NEW_REFUND_PASSWORD', what: 'new refund password', max: 64 };
export const UNLOCK_CODE: SecretSpec = {
  env: 'UNLOCK_CODE',
  what: 'unlock code',
  max: 8,
  pattern: { re: /^\d{8}$/, says: '8 digits' },
};
export const RECOVERY_CODE: SecretSpec = {
  env: 'RECOVERY_CODE',
  what: 'one-time code',
  max: 6,
  pattern: { re: /^\d{6}$/, says: '6 digits' },
};
export const TEMPORARY_PASSWORD: SecretSpec = { env: 'TEMPORARY_PASSWORD', what: 'temporary password', max: 64 };
export const CURRENT_PASSWORD: SecretSpec = { env: 'CURRENT_PASSWORD', what: 'current login password', max: 256 };
export const NEW_PASSWORD: SecretSpec = { env: 'NEW_PASSWORD', what: 'new login password', max: 256 };
export const OPERATOR_PASSWORD: SecretSpec = { env: 'OPERATOR_PASSWORD', what: 'operator password', max: 256 };
export const USER_PASSWORD: SecretSpec = { env: 'USER_PASSWORD', what: 'password', max: 256 };
export const REINIT_PASSWORD: SecretSpec = {
  env: 'REINIT_PASSWORD',
  what: 'password of whoever re-initialises (a console user: the login password; 00: the operator password)',
  max: 256,
};
