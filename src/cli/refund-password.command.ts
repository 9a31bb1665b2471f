import { Command } from 'commander';
import { policyFor } from '../credentials/password-policy.js';
import * as policies from '../credentials/policy.service.js';
import { POLICY_ROLES } from '../credentials/policy.service.js';
import { POLICY_BOUNDS } from '../credentials/policy-bounds.js';
import * as refundPasswords from '../credentials/refund-password.service.js';
import { notFound } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import * as errors from './cli.errors.js';
import { type ActAs, actAs, actedAs } from './cli-actor.js';
import { asOperatorOption, asUserOption, footer, intFrom, merchantOption, who } from './options.js';
import type { WithContext } from './run.js';
import { CURRENT_REFUND_PASSWORD, NEW_REFUND_PASSWORD, readSecrets } from './secrets.js';

/**
 * `refunddesk refund-password …`: a merchant's refund password, its status, change and policy.
 * Each step acts as a named principal (cli-actor.ts) with the role list of the matching HTTP route
 * (the services enforce the same lists); secrets come from secrets.ts, never from argv.
 */

const STATUS_ROLES = refundPasswords.REFUND_PASSWORD_STATUS_ROLES;
const CHANGE_ROLES = refundPasswords.REFUND_PASSWORD_CHANGE_ROLES;

/** `refunddesk refund-password status | change | policy`. */
export function refundPasswordCommand(withContext: WithContext): Command {
  const cmd = new Command('refund-password').description(
    "a merchant's refund password (退款密码): status, change, and the merchant's password policy",
  );

  cmd
    .command('status')
    .description('when the refund password was changed and when it expires (days left, expired); never the password')
    .addOption(merchantOption().makeOptionMandatory())
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
    .addOption(merchantOption().makeOptionMandatory())
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
    .addOption(merchantOption().makeOptionMandatory())
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
          if (!o.asUser) throw errors.badArgument('changing the policy needs --as-user <email>');
          const actor = await actAs(db.kysely, { asUser: o.asUser }, POLICY_ROLES);
          const result = await policies.setPasswordPolicy(db, ctx, actor, o.merchant, { ...changes, clear: o.clear });
          return { ...result, actedAs: actedAs(actor) };
        }),
    );

  return cmd;
}
