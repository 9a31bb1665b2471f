import { Command } from 'commander';
import * as loginPasswords from '../credentials/login-password.service.js';
import { type ActAs, actAs, actedAs, resolveTerminal } from './cli-actor.js';
import { asOperatorOption, asUserOption, footer, operatorCode, terminalOption, who } from './options.js';
import type { WithContext } from './run.js';
import { CURRENT_PASSWORD, NEW_PASSWORD, readSecrets, TEMPORARY_PASSWORD } from './secrets.js';

/**
 * Login passwords: `refunddesk login-password change` (one's own, with the current one) and
 * `refunddesk operator reset-password` (a temporary one a supervisor or owner gives).
 */

const OPERATOR_RESET_ROLES = loginPasswords.OPERATOR_RESET_ROLES;

/** `refunddesk operator reset-password`: added to the existing `operator` group. */
export function operatorResetPasswordCommand(withContext: WithContext): Command {
  return new Command('reset-password')
    .description(
      "give an operator a temporary login password they must change at next login (the terminal's supervisor for cashiers; the merchant owner for anyone, 00 included)",
    )
    .addOption(terminalOption().makeOptionMandatory())
    .requiredOption('--code <code>', 'the operator, two digits', operatorCode)
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
