import { Command } from 'commander';
import * as audit from '../audit/audit.service.js';
import { systemActor } from '../auth/actor.js';
import * as errors from './cli.errors.js';
import { intFrom, matching } from './options.js';
import type { WithContext } from './run.js';

const chainId = matching(/^(mer_[0-9A-Za-z]+|platform)$/, 'a merchant id (mer_…) or "platform"');

/** `refunddesk audit verify | list`: the hash-chained audit log (PCI DSS 10.2). */
export function auditCommand(withContext: WithContext): Command {
  const cmd = new Command('audit').description('the hash-chained audit log (PCI DSS 10.2)');
  cmd
    .command('verify')
    .description('recompute every chain (or one); prints the result, exits 1 when a chain is broken')
    .option('--chain <id>', 'a merchant id, or "platform"', chainId)
    .action((o: { chain?: string }) =>
      withContext(async (db) => {
        const result = await audit.verifyAuditChains(db.kysely, { chain: o.chain });
        if (o.chain !== undefined && result.chains === 0) {
          throw errors.unknownChain(o.chain);
        }
        if (!result.ok) process.exitCode = 1;
        return result;
      }),
    );
  cmd
    .command('list')
    .description('list audit events, newest first')
    .option('--merchant <id>', 'a merchant id, or "platform"', chainId)
    .option('--limit <n>', '1–1000', intFrom({ min: 1, max: 1000 }), 20)
    .option(
      '--cursor <id>',
      'the nextCursor of the previous page',
      matching(/^aud_[0-9A-Za-z]+$/, 'an id starting aud_'),
    )
    .action((o: { merchant?: string; limit: number; cursor?: string }) =>
      withContext((db, ctx) =>
        audit.listAuditEvents(db, ctx, systemActor, { limit: o.limit, merchantId: o.merchant, cursor: o.cursor }),
      ),
    );
  return cmd;
}
