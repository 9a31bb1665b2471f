import { Command } from 'commander';
import { backupCommand, restoreCommand } from '../backups/backup.command.js';
import { loadConfig } from '../config.js';
import { outboxCommand } from '../notifications/outbox.command.js';
import { REFUNDDESK_VERSION } from '../paths.js';
import { seedDemo } from '../seed/demo.js';
import { auditCommand } from './audit.command.js';
import { loginPasswordCommand } from './login-password.command.js';
import {
  acquirerCommand,
  agentCommand,
  apiKeyCommand,
  merchantCommand,
  operatorCommand,
  terminalCommand,
  userCommand,
} from './parties.command.js';
import { recoveryCommand } from './recovery.command.js';
import { refundPasswordCommand } from './refund-password.command.js';
import { withContext as openWithContext, type WithContext } from './run.js';
import { serve } from './serve.js';

/** The `refunddesk` program: the list of its commands, one file per command group. */
export function buildProgram(withContext: WithContext = openWithContext): Command {
  const program = new Command()
    .name('refunddesk')
    .version(REFUNDDESK_VERSION)
    .description('RefundDesk: POS refund platform. Reads DATABASE_URL (default ./data/refunddesk.db).');

  program
    .command('serve')
    .description('serve the HTTP API, docs and the background worker (migrates, seeds the demo on first start)')
    .action(() => serve(loadConfig()));
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(() => withContext(async () => ({ migrated: true })));
  program
    .command('seed')
    .description('seed the demo data of the README (say --demo)')
    .option('--demo', 'the demo merchants, terminals and logins listed in the README')
    .action((opts: { demo?: boolean }, cmd: Command) => {
      if (!opts.demo) cmd.error('error: say --demo: the demo data of the README is the only seed there is');
      return withContext(
        async (db, ctx) => (await seedDemo(db, ctx)) ?? { seeded: false, reason: 'demo data already present' },
      );
    });

  for (const group of [
    acquirerCommand,
    agentCommand,
    merchantCommand,
    terminalCommand,
    operatorCommand,
    userCommand,
    apiKeyCommand,
    auditCommand,
    outboxCommand,
    refundPasswordCommand,
    recoveryCommand,
    loginPasswordCommand,
  ]) {
    program.addCommand(group(withContext));
  }
  program.addCommand(backupCommand());
  program.addCommand(restoreCommand());
  return program;
}

/** Every command a user can run (those with an action), as its path of names: `['audit', 'verify']`. */
export function runnableCommands(c: Command, path: string[] = []): string[][] {
  // biome-ignore lint/suspicious/noExplicitAny: commander keeps the action handler private
  const own = path.length > 0 && (c as any)._actionHandler ? [path] : [];
  return [...own, ...c.commands.flatMap((s) => runnableCommands(s, [...path, s.name()]))];
}
