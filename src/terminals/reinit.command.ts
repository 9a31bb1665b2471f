import { Command, Option } from 'commander';
import { type ActAs, actAs, actedAs, resolveTerminal } from '../cli/cli-actor.js';
import { terminalOption, text } from '../cli/options.js';
import type { WithContext } from '../cli/run.js';
import { readSecret, REINIT_PASSWORD as STEP_UP_PASSWORD } from '../cli/secrets.js';
import { REINITIALIZE_ROLES, reinitializeTerminal } from './reinitialize.js';

/**
 * `refunddesk terminal reinit`: the CLI path of `POST /api/v1/terminals/{id}/reinitialize`, with
 * the same confirmations (the serial twice, the caller's own password) and the same service, so
 * the same roles, reach, lockout, backup and audit apply. Prints the one-time activation code of
 * the new supervisor (00) once, in the result.
 */
export function terminalReinitCommand(withContext: WithContext): Command {
  return new Command('reinit')
    .description(
      're-initialise a terminal (重新初始化): backup, then wipe its operators, their passwords, its sessions and unlock challenges, and rotate its unlock key; the merchant’s refund password becomes unset; 00 gets a one-time activation code (printed once)',
    )
    .addOption(terminalOption().makeOptionMandatory())
    .requiredOption('--confirm-serial <serial>', 'the terminal’s serial, typed', text(64))
    .requiredOption('--confirm-serial-again <serial>', 'the terminal’s serial, typed again', text(64))
    .option('--skip-backup', 'do not take the backup first (audited as skipped)')
    .addOption(
      new Option(
        '--as-operator <terminal:code>',
        'act as the terminal’s supervisor, e.g. T-0001:00 (its operator password)',
      ),
    )
    .addOption(new Option('--as-user <email>', 'act as the merchant owner or the serving agent (their login password)'))
    .addHelpText(
      'after',
      [
        '',
        'Who: the agent staff serving the terminal, the merchant owner, or the terminal’s supervisor (00).',
        'Refused while the open batch has sales (settle first). All data on the terminal is wiped (所有数据将被',
        '清除, 请谨慎操作); sales, refunds, disputes and the audit log are kept. Audited as terminal.reinitialized.',
        '',
        'Reads DATABASE_URL, BACKUP_DIR and BACKUP_KEY.',
        'Secrets (never on the command line, never printed):',
        `  ${STEP_UP_PASSWORD.env.padEnd(24)} the ${STEP_UP_PASSWORD.what}`,
        'It comes from its environment variable or, if that is unset, from standard input (one line).',
        '',
        'Example:',
        '  printf "%s\\n" "$MY_PASSWORD" | refunddesk terminal reinit --terminal T-0001 \\',
        '    --confirm-serial T-0001 --confirm-serial-again T-0001 --as-user owner@merchant.demo',
      ].join('\n'),
    )
    .action(
      (o: { terminal: string; confirmSerial: string; confirmSerialAgain: string; skipBackup?: boolean } & ActAs) =>
        withContext(async (db, ctx) => {
          const actor = await actAs(db.kysely, { asOperator: o.asOperator, asUser: o.asUser }, REINITIALIZE_ROLES);
          const terminal = await resolveTerminal(db.kysely, o.terminal);
          const password = await readSecret(STEP_UP_PASSWORD);
          const result = await reinitializeTerminal(db, ctx, actor, terminal.id, {
            confirmSerial: o.confirmSerial,
            confirmSerialAgain: o.confirmSerialAgain,
            password,
            skipBackup: o.skipBackup === true,
          });
          return { reinitialized: true, actedAs: actedAs(actor), ...result };
        }),
    );
}
