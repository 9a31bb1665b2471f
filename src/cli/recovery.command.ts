import { Command, Option } from 'commander';
import * as refundPasswords from '../credentials/refund-password.service.js';
import * as agentUnlock from '../recovery/agent-unlock.service.js';
import * as recoveryCodes from '../recovery/recovery-code.service.js';
import { type ActAs, actAs, actedAs, resolveTerminal } from './cli-actor.js';
import { asOperatorOption, asUserOption, footer, matching, merchantOption, terminalOption, who } from './options.js';
import type { WithContext } from './run.js';
import { NEW_REFUND_PASSWORD, RECOVERY_CODE, readSecrets, UNLOCK_CODE } from './secrets.js';

/**
 * `refunddesk recovery …`: a forgotten refund password, the agent way (challenge → unlock code →
 * reset) or by a one-time code sent by SMS / e-mail. Each step acts as a named principal with the
 * role list of the matching HTTP route.
 */

const CHALLENGE_ROLES = agentUnlock.CHALLENGE_ROLES;
const UNLOCK_CODE_ROLES = agentUnlock.UNLOCK_CODE_ROLES;
const RESET_ROLES = agentUnlock.UNLOCK_RESET_ROLES;
const RECOVERY_ROLES = recoveryCodes.RECOVERY_CODE_ROLES;

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
    .addOption(terminalOption().makeOptionMandatory())
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
    .addOption(terminalOption().makeOptionMandatory())
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
    .addOption(terminalOption().makeOptionMandatory())
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
    .addOption(merchantOption().makeOptionMandatory())
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
    .addOption(merchantOption().makeOptionMandatory())
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
