import { Command } from 'commander';
import { intFrom, matching, merchantOption } from '../cli/options.js';
import type { WithContext } from '../cli/run.js';
import type { Notification } from './notification.js';
import { listOutbox, revealLocalNotification } from './notification.service.js';

/** One listing entry: masked body, never the real one. */
export function formatOutboxEntry(n: Notification): string {
  const head = [n.createdAt, n.id, n.channel, n.status, n.template, n.language, n.recipient].join('  ');
  const lines = [head, `  subject: ${n.subject}`, ...n.body.split('\n').map((l) => `  ${l}`)];
  if (n.lastError && n.status !== 'sent') lines.push(`  last error (attempt ${n.attempts}): ${n.lastError}`);
  return lines.join('\n');
}

/**
 * `refunddesk outbox`: recent notifications with masked bodies; `--reveal <id>` prints the real
 * text of one message kept in the local outbox (no SMTP / SMS provider configured), so the offline
 * demo can read its one-time codes. It goes to standard output only, never to a log.
 */
export function outboxCommand(withContext: WithContext, print: (s: string) => void = console.log): Command {
  return new Command('outbox')
    .description('recent e-mail and SMS notifications (masked); --reveal shows a local-outbox message in full')
    .addOption(merchantOption('only this merchant’s notifications'))
    .option('--limit <n>', 'how many, newest first (1–500)', intFrom({ min: 1, max: 500 }), 20)
    .option(
      '--reveal <notificationId>',
      'print the real text of a message kept in the local outbox',
      matching(/^ntf_[0-9A-Za-z]+$/, 'an id starting ntf_'),
    )
    .option('--json', 'print JSON')
    .action((o: { merchant?: string; limit: number; reveal?: string; json?: boolean }) =>
      withContext(async (db, ctx) => {
        if (o.reveal) {
          const m = await revealLocalNotification(db.kysely, ctx, o.reveal);
          print(
            o.json
              ? JSON.stringify(m, null, 2)
              : `To: ${m.recipient} (${m.channel})\nSubject: ${m.subject}\n\n${m.body}`,
          );
          return;
        }
        const list = await listOutbox(db.kysely, { limit: o.limit, merchantId: o.merchant });
        if (o.json) print(JSON.stringify(list, null, 2));
        else print(list.length === 0 ? '(no notifications)' : list.map(formatOutboxEntry).join('\n\n'));
      }),
    );
}
