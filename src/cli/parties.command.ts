import { Command, Option } from 'commander';
import { type ApiKeyScope, apiKeyScopes, type UserRole, userRoles } from '../auth/actor.js';
import * as apiKeys from '../auth/api-key.service.js';
import * as users from '../auth/user.service.js';
import { transaction } from '../db/transaction.js';
import * as merchants from '../merchants/merchant.service.js';
import * as operators from '../operators/operator.service.js';
import { terminalReinitCommand } from '../terminals/reinit.command.js';
import * as terminals from '../terminals/terminal.service.js';
import { resolveTerminal } from './cli-actor.js';
import { operatorResetPasswordCommand } from './login-password.command.js';
import { currency, email, idOf, listOf, merchantOption, oneOf, operatorCode, terminalOption, text } from './options.js';
import type { WithContext } from './run.js';
import { OPERATOR_PASSWORD, REFUND_PASSWORD, readSecret, USER_PASSWORD } from './secrets.js';

/**
 * The parties: `acquirer`, `agent`, `merchant`, `terminal`, `operator`, `user`, `api-key`. These
 * act as the platform (whoever runs the CLI on the server), as the set-up steps of the README do.
 */

const nameOption = () =>
  new Option('--name <name>', 'its name, as people see it').argParser(text()).makeOptionMandatory();

export function acquirerCommand(withContext: WithContext): Command {
  const cmd = new Command('acquirer').description('payment institutions (收单机构)');
  cmd
    .command('create')
    .description('create an acquirer; prints it with its id')
    .addOption(nameOption())
    .action((o: { name: string }) =>
      withContext((db, ctx) => transaction(db, (tx) => merchants.createAcquirer(tx, ctx, o.name))),
    );
  return cmd;
}

export function agentCommand(withContext: WithContext): Command {
  const cmd = new Command('agent').description('POS agents / vendors (代理商) that serve terminals');
  cmd
    .command('create')
    .description('create a POS agent; prints it with its id')
    .addOption(nameOption())
    .action((o: { name: string }) =>
      withContext((db, ctx) => transaction(db, (tx) => merchants.createAgent(tx, ctx, o.name))),
    );
  return cmd;
}

export function merchantCommand(withContext: WithContext): Command {
  const cmd = new Command('merchant').description('merchants (商户)');
  cmd
    .command('create')
    .description('create a merchant; its refund password is read from REFUND_PASSWORD or standard input')
    .addOption(nameOption())
    .requiredOption('--acquirer <acquirerId>', 'its acquirer (acq_…)', idOf('acq'))
    .option('--currency <code>', 'ISO 4217', currency, 'CNY')
    .option('--language <lang>', 'zh-CN or en', oneOf(['zh-CN', 'en'] as const), 'zh-CN')
    .option('--email <email>', 'where recovery codes and notices go', email)
    .option('--phone <phone>', 'where recovery codes go by SMS', text(32))
    .action(
      (o: {
        name: string;
        acquirer: string;
        currency: string;
        language: 'zh-CN' | 'en';
        email?: string;
        phone?: string;
      }) =>
        withContext(async (db, ctx) =>
          merchants.createMerchant(db, ctx, {
            name: o.name,
            acquirerId: o.acquirer,
            currency: o.currency,
            language: o.language,
            email: o.email,
            phone: o.phone,
            refundPassword: await readSecret(REFUND_PASSWORD),
          }),
        ),
    );
  cmd
    .command('list')
    .description('list every merchant')
    .action(() => withContext((db) => merchants.listMerchants(db.kysely)));
  return cmd;
}

export function terminalCommand(withContext: WithContext): Command {
  const cmd = new Command('terminal').description('POS terminals');
  cmd
    .command('create')
    .description('register a terminal of a merchant, served by a POS agent')
    .requiredOption('--serial <serial>', 'its serial, e.g. T-0003', text(64))
    .addOption(merchantOption().makeOptionMandatory())
    .requiredOption('--agent <agentId>', 'the POS agent serving it (agt_…)', idOf('agt'))
    .action((o: { serial: string; merchant: string; agent: string }) =>
      withContext((db, ctx) =>
        transaction(db, (tx) =>
          terminals.createTerminal(tx, ctx, { serial: o.serial, merchantId: o.merchant, agentId: o.agent }),
        ),
      ),
    );
  cmd.addCommand(terminalReinitCommand(withContext));
  return cmd;
}

export function operatorCommand(withContext: WithContext): Command {
  const cmd = new Command('operator').description('terminal operators (00 supervisor, 01–99 cashiers)');
  cmd
    .command('add')
    .description('add an operator; the password is read from OPERATOR_PASSWORD or standard input')
    .addOption(terminalOption().makeOptionMandatory())
    .requiredOption('--code <code>', 'two digits', operatorCode)
    .action((o: { terminal: string; code: string }) =>
      withContext(async (db, ctx) => {
        const terminal = await resolveTerminal(db.kysely, o.terminal);
        return operators.addOperator(db, ctx, {
          terminalId: terminal.id,
          code: o.code,
          password: await readSecret(OPERATOR_PASSWORD),
        });
      }),
    );
  cmd.addCommand(operatorResetPasswordCommand(withContext));
  return cmd;
}

export function userCommand(withContext: WithContext): Command {
  const cmd = new Command('user').description('console users');
  cmd
    .command('create')
    .description('create a console user; the password is read from USER_PASSWORD or standard input')
    .requiredOption('--email <email>', 'their login', email)
    .addOption(nameOption())
    .requiredOption('--role <role>', userRoles.join(' | '), oneOf(userRoles))
    .addOption(merchantOption('their merchant (merchant_owner)'))
    .option('--acquirer <acquirerId>', 'their acquirer (acquirer_reviewer)', idOf('acq'))
    .option('--agent <agentId>', 'their POS agent (agent_staff)', idOf('agt'))
    .action(
      (o: { email: string; name: string; role: UserRole; merchant?: string; acquirer?: string; agent?: string }) =>
        withContext(async (db, ctx) =>
          users.createUser(db, ctx, {
            email: o.email,
            name: o.name,
            role: o.role,
            password: await readSecret(USER_PASSWORD),
            merchantId: o.merchant,
            acquirerId: o.acquirer,
            agentId: o.agent,
          }),
        ),
    );
  return cmd;
}

export function apiKeyCommand(withContext: WithContext): Command {
  const cmd = new Command('api-key').description('merchant API keys');
  cmd
    .command('create')
    .description('create an API key for a merchant (the secret is printed once)')
    .addOption(merchantOption().makeOptionMandatory())
    .addOption(nameOption())
    .option('--scopes <list>', `comma-separated: ${apiKeyScopes.join(',')}`, listOf(apiKeyScopes), [
      'read',
    ] as ApiKeyScope[])
    .action((o: { merchant: string; name: string; scopes: ApiKeyScope[] }) =>
      withContext((db, ctx) => apiKeys.createApiKey(db, ctx, o.merchant, 'cli', { name: o.name, scopes: o.scopes })),
    );
  return cmd;
}
