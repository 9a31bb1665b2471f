import { Command, InvalidArgumentError, Option } from 'commander';
import type { AppContext } from '../context.js';
import * as loginPasswords from '../credentials/login-password.service.js';
import { POLICY_BOUNDS, policyFor } from '../credentials/password-policy.js';
import * as policies from '../credentials/policy.service.js';
import { POLICY_ROLES } from '../credentials/policy.service.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import type { Db } from '../db/connect.js';
import { AppError, notFound } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import * as agentUnlock from '../recovery/agent-unlock.service.js';
import * as recoveryCodes from '../recovery/recovery-code.service.js';
import { type ActAs, actAs, actedAs, resolveTerminal } from './cli-actor.js';

/**
 * `refunddesk refund-password …`, `refunddesk recovery …`, `refunddesk operator reset-password` and
 * `refunddesk login-password change`: the CLI path of every step of the refund password's life, and
 * of the login passwords beside it. Each acts as a named principal
 * (cli-actor.ts) with the role list of the matching HTTP route; secrets come from environment
 * variables or standard input, never from argv, and are never printed.
 */

export type WithContext = (fn: (db: Db, ctx: AppContext) => Promise<unknown>) => Promise<void>;

// The role lists come from the services, which enforce them too (the routes declare the same).
const STATUS_ROLES = refundPasswords.REFUND_PASSWORD_STATUS_ROLES;
const CHANGE_ROLES = refundPasswords.REFUND_PASSWORD_CHANGE_ROLES;
const CHALLENGE_ROLES = agentUnlock.CHALLENGE_ROLES;
const UNLOCK_CODE_ROLES = agentUnlock.UNLOCK_CODE_ROLES;
const RESET_ROLES = agentUnlock.UNLOCK_RESET_ROLES;
const RECOVERY_ROLES = recoveryCodes.RECOVERY_CODE_ROLES;
const OPERATOR_RESET_ROLES = loginPasswords.OPERATOR_RESET_ROLES;

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
    if (stdin.isTTY) throw new AppError('validation_failed', how);
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
    const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
    let next = 0;
    for (let i = 0; i < specs.length; i++) {
      if (values[i] !== undefined) continue;
      const line = (lines[next++] ?? '').trim();
      if (!line) throw new AppError('validation_failed', `no ${specs[i].what} given: ${how}`);
      values[i] = line;
    }
  }
  return specs.map((s, i) => {
    const v = values[i] as string;
    if (v.length > s.max) throw new AppError('validation_failed', `${s.env}: at most ${s.max} characters`);
    if (s.pattern && !s.pattern.re.test(v)) throw new AppError('validation_failed', `${s.env}: ${s.pattern.says}`);
    return v;
  });
}

const CURRENT_REFUND_PASSWORD: SecretSpec = {
  env: 'CURRENT_REFUND_PASSWORD',
  what: 'current refund password',
  max: 64,
};
const NEW_REFUND_PASSWORD: SecretSpec = { env: 'NEW_REFUND_PASSWORD', what: 'new refund password', max: 64 };
const UNLOCK_CODE: SecretSpec = {
  env: 'UNLOCK_CODE',
  what: 'unlock code',
  max: 8,
  pattern: { re: /^\d{8}$/, says: '8 digits' },
};
const RECOVERY_CODE: SecretSpec = {
  env: 'RECOVERY_CODE',
  what: 'one-time code',
  max: 6,
  pattern: { re: /^\d{6}$/, says: '6 digits' },
};
const TEMPORARY_PASSWORD: SecretSpec = { env: 'TEMPORARY_PASSWORD', what: 'temporary password', max: 64 };
const CURRENT_PASSWORD: SecretSpec = { env: 'CURRENT_PASSWORD', what: 'current login password', max: 256 };
const NEW_PASSWORD: SecretSpec = { env: 'NEW_PASSWORD', what: 'new login password', max: 256 };

function matching(re: RegExp, says: string) {
  return (v: string): string => {
    if (!re.test(v)) throw new InvalidArgumentError(says);
    return v;
  };
}

function intFrom({ min, max }: { min: number; max: number }, why = '') {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`an integer from ${min} to ${max}${why}`);
    }
    return n;
  };
}

const asOperatorOption = () =>
  new Option('--as-operator <terminal:code>', 'act as this terminal operator, e.g. T-0001:00 (terminal id or serial)');
const asUserOption = () => new Option('--as-user <email>', 'act as this console user, e.g. owner@merchant.demo');

/** Help footer: the environment variables a command reads, and an example. */
function footer(env: readonly SecretSpec[], example: string, notes: readonly string[] = []): string {
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

const who = (o: ActAs): ActAs => ({ asOperator: o.asOperator, asUser: o.asUser });

/** `refunddesk refund-password status | change | policy`. */
export function refundPasswordCommand(withContext: WithContext): Command {
  const cmd = new Command('refund-password').description(
    "a merchant's refund password (退款密码): status, change, and the merchant's password policy",
  );

  cmd
    .command('status')
    .description('when the refund password was changed and when it expires (days left, expired); never the password')
    .requiredOption('--merchant <merchantId>', 'the merchant')
    .addOption(asOperatorOption())
    .addOption(asUserOption())
    .addHelpText(
      'after',
      footer([], 'refunddesk refund-password status --merchant mer_…', [
        "With --as-operator / --as-user, only the merchant's own people (cashier, supervisor, owner) may look.",
      ]),
    )
    .action((o: { merchant: string } & ActAs) =>
      withContext(async (db, ctx) => {
        if (o.asOperator || o.asUser) {
          const actor = await actAs(db.kysely, who(o), STATUS_ROLES);
          return {
            merchantId: o.merchant,
            ...(await refundPasswords.refundPasswordStatusFor(db.kysely, ctx, actor, o.merchant)),
          };
        }
        return { merchantId: o.merchant, ...(await refundPasswords.refundPasswordStatus(db.kysely, ctx, o.merchant)) };
      }),
    );

  cmd
    .command('change')
    .description(
      'change the refund password with the current one (修改退款密码), as the supervisor (00) or the owner; every session of the merchant ends',
    )
    .requiredOption('--merchant <merchantId>', 'the merchant')
    .addOption(asOperatorOption())
    .addOption(asUserOption())
    .addHelpText(
      'after',
      footer(
        [CURRENT_REFUND_PASSWORD, NEW_REFUND_PASSWORD],
        'printf "%s\\n%s\\n" "$CURRENT" "$NEW" | refunddesk refund-password change --merchant mer_… --as-operator T-0001:00',
      ),
    )
    .action((o: { merchant: string } & ActAs) =>
      withContext(async (db, ctx) => {
        const actor = await actAs(db.kysely, who(o), CHANGE_ROLES);
        const [currentPassword, newPassword] = await readSecrets([CURRENT_REFUND_PASSWORD, NEW_REFUND_PASSWORD]);
        await refundPasswords.changeRefundPassword(db, ctx, actor, o.merchant, {
          currentPassword,
          newPassword,
          confirmPassword: newPassword,
        });
        return {
          changed: true,
          merchantId: o.merchant,
          actedAs: actedAs(actor),
          status: await refundPasswords.refundPasswordStatus(db.kysely, ctx, o.merchant),
        };
      }),
    );

  cmd
    .command('policy')
    .description(
      "show or set the merchant's password-policy override (refund password length and expiry; history and lockout, which also apply to the merchant's logins); prints the policy in force",
    )
    .requiredOption('--merchant <merchantId>', 'the merchant')
    .option('--min-length <n>', 'refund password minimum length (6–32)', intFrom(POLICY_BOUNDS.refundPasswordLength))
    .option(
      '--max-length <n>',
      'refund password maximum length (6–32, ≥ min)',
      intFrom(POLICY_BOUNDS.refundPasswordLength),
    )
    .option(
      '--expiry-days <n>',
      'refund password expires after n days (15–90: PCI DSS 8.3.9, and above the 14-day reminder)',
      intFrom(POLICY_BOUNDS.expiryDays, ' (PCI DSS 8.3.9)'),
    )
    .option(
      '--history <n>',
      'a new secret may not repeat the last n (4–24: PCI DSS 8.3.7)',
      intFrom(POLICY_BOUNDS.historySize, ' (PCI DSS 8.3.7)'),
    )
    .option(
      '--lock-after <n>',
      'lock after n wrong tries (3–10: PCI DSS 8.3.4)',
      intFrom(POLICY_BOUNDS.maxFailures, ' (PCI DSS 8.3.4)'),
    )
    .option(
      '--lock-minutes <n>',
      'lock for n minutes (30–1440: PCI DSS 8.3.4)',
      intFrom(POLICY_BOUNDS.lockMinutes, ' (PCI DSS 8.3.4)'),
    )
    .option('--clear', 'drop the override first (back to the platform policy), then apply any settings given')
    .addOption(asUserOption())
    .addHelpText(
      'after',
      footer(
        [],
        'refunddesk refund-password policy --merchant mer_… --lock-after 3 --min-length 8 --as-user admin@platform.demo',
        [
          'Without settings (and without --clear) it only prints the policy in force. Changes need --as-user:',
          "a platform admin, or the merchant's owner; they are audited (password_policy.changed). Settings not",
          'given keep their current override.',
        ],
      ),
    )
    .action(
      (o: {
        merchant: string;
        minLength?: number;
        maxLength?: number;
        expiryDays?: number;
        history?: number;
        lockAfter?: number;
        lockMinutes?: number;
        clear?: boolean;
        asUser?: string;
      }) =>
        withContext(async (db, ctx) => {
          const changes = {
            minLength: o.minLength,
            maxLength: o.maxLength,
            expiryDays: o.expiryDays,
            historySize: o.history,
            maxFailures: o.lockAfter,
            lockMinutes: o.lockMinutes,
          };
          const given = Object.values(changes).some((v) => v !== undefined);
          if (!given && !o.clear) {
            const record = await merchants.findRefundPasswordRecord(db.kysely, o.merchant);
            if (!record) throw notFound('merchant');
            return {
              merchantId: o.merchant,
              override: record.policyOverride ? JSON.parse(record.policyOverride) : null,
              policy: policyFor(ctx, record.policyOverride),
            };
          }
          if (!o.asUser) throw new AppError('validation_failed', 'changing the policy needs --as-user <email>');
          const actor = await actAs(db.kysely, { asUser: o.asUser }, POLICY_ROLES);
          const result = await policies.setPasswordPolicy(db, ctx, actor, o.merchant, { ...changes, clear: o.clear });
          return { ...result, actedAs: actedAs(actor) };
        }),
    );

  return cmd;
}

/** `refunddesk recovery challenge | unlock-code | reset | send-code | verify-code`. */
export function recoveryCommand(withContext: WithContext): Command {
  const cmd = new Command('recovery').description(
    'a forgotten refund password: the agent way (challenge → unlock code → reset) or a one-time code by SMS / e-mail',
  );

  cmd
    .command('challenge')
    .description(
      "agent way, step 1, at the terminal: a fresh challenge to read to the POS agent (the terminal's own operators)",
    )
    .requiredOption('--terminal <terminal>', 'terminal id (trm_…) or serial (T-0001)')
    .addOption(asOperatorOption().makeOptionMandatory())
    .addHelpText('after', footer([], 'refunddesk recovery challenge --terminal T-0001 --as-operator T-0001:00'))
    .action((o: { terminal: string; asOperator: string }) =>
      withContext(async (db, ctx) => {
        const actor = await actAs(db.kysely, { asOperator: o.asOperator }, CHALLENGE_ROLES);
        const terminal = await resolveTerminal(db.kysely, o.terminal);
        return agentUnlock.issueChallenge(db, ctx, actor, terminal.id);
      }),
    );

  cmd
    .command('unlock-code')
    .description(
      "agent way, step 2, at the agent: turns the terminal's challenge into a one-time unlock code (staff of the terminal's agent only; audited, the owner is told)",
    )
    .requiredOption('--terminal <terminal>', 'terminal id (trm_…) or serial (T-0001)')
    .requiredOption(
      '--challenge <digits>',
      'the 10-digit challenge the terminal shows',
      matching(/^\d{10}$/, '10 digits'),
    )
    .addOption(asUserOption().makeOptionMandatory())
    .addHelpText(
      'after',
      footer([], 'refunddesk recovery unlock-code --terminal T-0001 --challenge 0123456789 --as-user agent@agent.demo'),
    )
    .action((o: { terminal: string; challenge: string; asUser: string }) =>
      withContext(async (db, ctx) => {
        const actor = await actAs(db.kysely, { asUser: o.asUser }, UNLOCK_CODE_ROLES);
        const terminal = await resolveTerminal(db.kysely, o.terminal);
        return agentUnlock.issueUnlockCode(db, ctx, actor, terminal.id, o.challenge);
      }),
    );

  cmd
    .command('reset')
    .description(
      "agent way, step 3, at the terminal: the unlock code sets a new refund password (the terminal's supervisor; the code works once, within 15 minutes)",
    )
    .requiredOption('--terminal <terminal>', 'terminal id (trm_…) or serial (T-0001)')
    .addOption(asOperatorOption().makeOptionMandatory())
    .addHelpText(
      'after',
      footer(
        [UNLOCK_CODE, NEW_REFUND_PASSWORD],
        'UNLOCK_CODE=… NEW_REFUND_PASSWORD=… refunddesk recovery reset --terminal T-0001 --as-operator T-0001:00',
      ),
    )
    .action((o: { terminal: string; asOperator: string }) =>
      withContext(async (db, ctx) => {
        const actor = await actAs(db.kysely, { asOperator: o.asOperator }, RESET_ROLES);
        const terminal = await resolveTerminal(db.kysely, o.terminal);
        const [unlockCode, newPassword] = await readSecrets([UNLOCK_CODE, NEW_REFUND_PASSWORD]);
        await agentUnlock.resetWithUnlockCode(db, ctx, actor, terminal.id, {
          unlockCode,
          newPassword,
          confirmPassword: newPassword,
        });
        return {
          reset: true,
          merchantId: terminal.merchantId,
          actedAs: actedAs(actor),
          status: await refundPasswords.refundPasswordStatus(db.kysely, ctx, terminal.merchantId),
        };
      }),
    );

  cmd
    .command('send-code')
    .description(
      "SMS / e-mail way, step 1: send a 6-digit one-time code to the merchant's registered phone or e-mail (supervisor or owner; at most 3 an hour)",
    )
    .requiredOption('--merchant <merchantId>', 'the merchant')
    .addOption(new Option('--channel <channel>', 'sms or email').choices(['sms', 'email']).makeOptionMandatory())
    .addOption(asOperatorOption())
    .addOption(asUserOption())
    .addHelpText(
      'after',
      footer([], 'refunddesk recovery send-code --merchant mer_… --channel sms --as-operator T-0001:00', [
        'Without an SMTP / SMS provider the message stays in the local outbox, readable once the',
        "server's worker has handled it: refunddesk outbox --reveal <id>.",
      ]),
    )
    .action((o: { merchant: string; channel: recoveryCodes.RecoveryChannel } & ActAs) =>
      withContext(async (db, ctx) => {
        const actor = await actAs(db.kysely, who(o), RECOVERY_ROLES);
        return {
          ...(await recoveryCodes.sendRecoveryCode(db, ctx, actor, o.merchant, o.channel)),
          actedAs: actedAs(actor),
        };
      }),
    );

  cmd
    .command('verify-code')
    .description(
      'SMS / e-mail way, step 2: the one-time code (latest, within 10 minutes, once) sets a new refund password',
    )
    .requiredOption('--merchant <merchantId>', 'the merchant')
    .addOption(asOperatorOption())
    .addOption(asUserOption())
    .addHelpText(
      'after',
      footer(
        [RECOVERY_CODE, NEW_REFUND_PASSWORD],
        'RECOVERY_CODE=… NEW_REFUND_PASSWORD=… refunddesk recovery verify-code --merchant mer_… --as-user owner@merchant.demo',
      ),
    )
    .action((o: { merchant: string } & ActAs) =>
      withContext(async (db, ctx) => {
        const actor = await actAs(db.kysely, who(o), RECOVERY_ROLES);
        const [code, newPassword] = await readSecrets([RECOVERY_CODE, NEW_REFUND_PASSWORD]);
        await recoveryCodes.verifyRecoveryCode(db, ctx, actor, o.merchant, {
          code,
          newPassword,
          confirmPassword: newPassword,
        });
        return {
          reset: true,
          merchantId: o.merchant,
          actedAs: actedAs(actor),
          status: await refundPasswords.refundPasswordStatus(db.kysely, ctx, o.merchant),
        };
      }),
    );

  return cmd;
}

/** `refunddesk operator reset-password`: added to the existing `operator` group. */
export function operatorResetPasswordCommand(withContext: WithContext): Command {
  return new Command('reset-password')
    .description(
      "give an operator a temporary login password they must change at next login (the terminal's supervisor for cashiers; the merchant owner for anyone, 00 included)",
    )
    .requiredOption('--terminal <terminal>', 'terminal id (trm_…) or serial (T-0001)')
    .requiredOption('--code <code>', 'the operator, two digits', matching(/^\d{2}$/, 'two digits'))
    .addOption(asOperatorOption())
    .addOption(asUserOption())
    .addHelpText(
      'after',
      footer(
        [TEMPORARY_PASSWORD],
        'TEMPORARY_PASSWORD=… refunddesk operator reset-password --terminal T-0001 --code 01 --as-operator T-0001:00',
      ),
    )
    .action((o: { terminal: string; code: string } & ActAs) =>
      withContext(async (db, ctx) => {
        const actor = await actAs(db.kysely, who(o), OPERATOR_RESET_ROLES);
        const terminal = await resolveTerminal(db.kysely, o.terminal);
        const [temporaryPassword] = await readSecrets([TEMPORARY_PASSWORD]);
        await loginPasswords.resetOperatorPassword(db, ctx, actor, terminal.id, o.code, temporaryPassword);
        return {
          reset: true,
          terminalId: terminal.id,
          terminalSerial: terminal.serial,
          operator: o.code,
          mustChangePassword: true,
          actedAs: actedAs(actor),
        };
      }),
    );
}

/** `refunddesk login-password change`: an operator or console user changes their own login password. */
export function loginPasswordCommand(withContext: WithContext): Command {
  const cmd = new Command('login-password').description(
    'your own login password (operators at a terminal, console users): change it with the current one',
  );
  cmd
    .command('change')
    .description(
      'change your own login password with the current one (also the way out of a temporary password a supervisor gave); every session of yours ends',
    )
    .addOption(asOperatorOption())
    .addOption(asUserOption())
    .addHelpText(
      'after',
      footer(
        [CURRENT_PASSWORD, NEW_PASSWORD],
        'printf "%s\\n%s\\n" "$CURRENT" "$NEW" | refunddesk login-password change --as-operator T-0001:01',
        [
          'The current password is the proof: acting as someone does not change their password without it.',
          'A wrong one counts toward the login lockout, as at login.',
        ],
      ),
    )
    .action((o: ActAs) =>
      withContext(async (db, ctx) => {
        const actor = await actAs(db.kysely, who(o), loginPasswords.OWN_PASSWORD_ROLES, {
          allowWhilePasswordChangeRequired: true,
        });
        const [currentPassword, newPassword] = await readSecrets([CURRENT_PASSWORD, NEW_PASSWORD]);
        await loginPasswords.changeOwnPassword(db, ctx, actor, {
          currentPassword,
          newPassword,
          confirmPassword: newPassword,
        });
        return { changed: true, actedAs: actedAs(actor) };
      }),
    );
  return cmd;
}
