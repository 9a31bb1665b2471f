import { Command, InvalidArgumentError } from 'commander';
import * as audit from '../audit/audit.service.js';
import { type ApiKeyScope, apiKeyScopes, systemActor, type UserRole, userRoles } from '../auth/actor.js';
import * as apiKeys from '../auth/api-key.service.js';
import * as users from '../auth/user.service.js';
import { backupCommand, restoreCommand } from '../backups/backup.command.js';
import { ConfigError, loadConfig } from '../config.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import * as merchants from '../merchants/merchant.service.js';
import { outboxCommand } from '../notifications/outbox.command.js';
import * as operators from '../operators/operator.service.js';
import { REFUNDDESK_VERSION } from '../paths.js';
import { openContext } from '../runtime.js';
import { seedDemo } from '../seed/demo.js';
import { terminalReinitCommand } from '../terminals/reinit.command.js';
import * as terminals from '../terminals/terminal.service.js';
import {
  loginPasswordCommand,
  operatorResetPasswordCommand,
  recoveryCommand,
  refundPasswordCommand,
} from './refund-password.command.js';
import { serve } from './serve.js';

/** Runs `fn` with a migrated database, prints its result as JSON, and closes the database. */
async function withContext(fn: (ctx: AppContext) => Promise<unknown>): Promise<void> {
  const ctx = await openContext(loadConfig());
  try {
    const out = await fn(ctx);
    if (out !== undefined) console.log(JSON.stringify(out, null, 2));
  } catch (e) {
    if (e instanceof AppError) {
      console.error(`error: ${e.code}: ${e.message}`);
      process.exitCode = 1;
    } else throw e;
  } finally {
    await ctx.db.close();
  }
}

function oneOf<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`one of: ${values.join(', ')}`);
    return v as T;
  };
}

function positiveInt(max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`an integer from 1 to ${max}`);
    return n;
  };
}

function scopes(v: string): ApiKeyScope[] {
  return v.split(',').map(oneOf(apiKeyScopes));
}

/** Secrets come from an environment variable or standard input, never from argv (visible in `ps`). */
async function secretFrom(envName: string, what: string): Promise<string> {
  const v = process.env[envName];
  if (v) return v;
  if (process.stdin.isTTY) throw new InvalidArgumentError(`set ${envName} or pipe the ${what} on standard input`);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const s = Buffer.concat(chunks).toString('utf8').trim();
  if (!s) throw new InvalidArgumentError(`no ${what} given: set ${envName} or pipe it on standard input`);
  return s;
}

const program = new Command()
  .name('refunddesk')
  .version(REFUNDDESK_VERSION)
  .description('RefundDesk: POS refund platform. Reads DATABASE_URL (default ./data/refunddesk.db).');

program
  .command('serve')
  .description('serve the HTTP API, docs and the background worker (migrates, seeds the demo on first start)')
  .action(async () => {
    await serve(loadConfig());
  });

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(() => withContext(async () => ({ migrated: true })));

program
  .command('seed')
  .description('seed data')
  .option('--demo', 'the demo merchants, terminals and logins listed in the README')
  .action((opts: { demo?: boolean }, cmd: Command) => {
    if (!opts.demo) cmd.error('error: say --demo: the demo data of the README is the only seed there is');
    return withContext(async (ctx) => (await seedDemo(ctx)) ?? { seeded: false, reason: 'demo data already present' });
  });

const acquirer = program.command('acquirer').description('payment institutions');
acquirer
  .command('create')
  .requiredOption('--name <name>')
  .action((o: { name: string }) => withContext((ctx) => merchants.createAcquirer(ctx, o.name)));

const agent = program.command('agent').description('POS agents / vendors');
agent
  .command('create')
  .requiredOption('--name <name>')
  .action((o: { name: string }) => withContext((ctx) => merchants.createAgent(ctx, o.name)));

const merchant = program.command('merchant').description('merchants');
merchant
  .command('create')
  .description('create a merchant; its refund password is read from REFUND_PASSWORD or standard input')
  .requiredOption('--name <name>')
  .requiredOption('--acquirer <acquirerId>')
  .option('--currency <code>', 'ISO 4217', 'CNY')
  .option('--language <lang>', 'zh-CN or en', oneOf(['zh-CN', 'en'] as const), 'zh-CN')
  .option('--email <email>')
  .option('--phone <phone>')
  .action(
    (o: {
      name: string;
      acquirer: string;
      currency: string;
      language: 'zh-CN' | 'en';
      email?: string;
      phone?: string;
    }) =>
      withContext(async (ctx) =>
        merchants.createMerchant(ctx, {
          name: o.name,
          acquirerId: o.acquirer,
          currency: o.currency,
          language: o.language,
          email: o.email,
          phone: o.phone,
          refundPassword: await secretFrom('REFUND_PASSWORD', 'refund password'),
        }),
      ),
  );
merchant.command('list').action(() => withContext((ctx) => merchants.listMerchants(ctx)));

const terminal = program.command('terminal').description('POS terminals');
terminal
  .command('create')
  .requiredOption('--serial <serial>')
  .requiredOption('--merchant <merchantId>')
  .requiredOption('--agent <agentId>')
  .action((o: { serial: string; merchant: string; agent: string }) =>
    withContext((ctx) => terminals.createTerminal(ctx, { serial: o.serial, merchantId: o.merchant, agentId: o.agent })),
  );

const operator = program.command('operator').description('terminal operators (00 supervisor, 01–99 cashiers)');
operator
  .command('add')
  .description('add an operator; the password is read from OPERATOR_PASSWORD or standard input')
  .requiredOption('--terminal <terminalId>')
  .requiredOption('--code <code>', 'two digits')
  .action((o: { terminal: string; code: string }) =>
    withContext(async (ctx) =>
      operators.addOperator(ctx, {
        terminalId: o.terminal,
        code: o.code,
        password: await secretFrom('OPERATOR_PASSWORD', 'operator password'),
      }),
    ),
  );

const user = program.command('user').description('console users');
user
  .command('create')
  .description('create a console user; the password is read from USER_PASSWORD or standard input')
  .requiredOption('--email <email>')
  .requiredOption('--name <name>')
  .requiredOption('--role <role>', userRoles.join(' | '), oneOf(userRoles))
  .option('--merchant <merchantId>')
  .option('--acquirer <acquirerId>')
  .option('--agent <agentId>')
  .action((o: { email: string; name: string; role: UserRole; merchant?: string; acquirer?: string; agent?: string }) =>
    withContext(async (ctx) =>
      users.createUser(ctx, {
        email: o.email,
        name: o.name,
        role: o.role,
        password: await secretFrom('USER_PASSWORD', 'password'),
        merchantId: o.merchant,
        acquirerId: o.acquirer,
        agentId: o.agent,
      }),
    ),
  );

const apiKey = program.command('api-key').description('merchant API keys');
apiKey
  .command('create')
  .description('create an API key for a merchant (the secret is printed once)')
  .requiredOption('--merchant <merchantId>')
  .requiredOption('--name <name>')
  .option('--scopes <list>', `comma-separated: ${apiKeyScopes.join(',')}`, scopes, ['read'] as ApiKeyScope[])
  .action((o: { merchant: string; name: string; scopes: ApiKeyScope[] }) =>
    withContext((ctx) => apiKeys.createApiKey(ctx, o.merchant, 'cli', { name: o.name, scopes: o.scopes })),
  );

const auditCmd = program.command('audit').description('the hash-chained audit log (PCI DSS 10.2)');
auditCmd
  .command('verify')
  .description('recompute every chain (or one); prints the result, exits 1 when a chain is broken')
  .option('--chain <id>', 'a merchant id, or "platform"')
  .action((o: { chain?: string }) =>
    withContext(async (ctx) => {
      const result = await audit.verifyAuditChains(ctx, { chain: o.chain });
      if (o.chain !== undefined && result.chains === 0) {
        throw new AppError('not_found', `no audit chain ${o.chain}: give a merchant id that has events, or "platform"`);
      }
      if (!result.ok) process.exitCode = 1;
      return result;
    }),
  );
auditCmd
  .command('list')
  .description('list audit events, newest first')
  .option('--merchant <id>', 'a merchant id, or "platform"')
  .option('--limit <n>', '1–1000', positiveInt(1000), 20)
  .option('--cursor <id>', 'the nextCursor of the previous page')
  .action((o: { merchant?: string; limit: number; cursor?: string }) =>
    withContext((ctx) =>
      audit.listAuditEvents(ctx, systemActor, { limit: o.limit, merchantId: o.merchant, cursor: o.cursor }),
    ),
  );

program.addCommand(outboxCommand(withContext));
program.addCommand(refundPasswordCommand(withContext));
program.addCommand(recoveryCommand(withContext));
program.addCommand(loginPasswordCommand(withContext));
operator.addCommand(operatorResetPasswordCommand(withContext));
terminal.addCommand(terminalReinitCommand(withContext));
program.addCommand(backupCommand());
program.addCommand(restoreCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // A setting the server refuses (out of bounds, malformed): one clear line, no stack trace.
  if (!(e instanceof ConfigError)) throw e;
  console.error(`refunddesk: ${e.message}`);
  process.exitCode = 1;
}
