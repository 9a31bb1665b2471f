import { Command, InvalidArgumentError } from 'commander';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import type { Notification } from './notification.js';
import { listOutbox, revealLocalNotification } from './notification.service.js';

type WithContext = (fn: (db: Db, ctx: AppContext) => Promise<unknown>) => Promise<void>;

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('an integer from 1 to 500');
  return n;
}

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
    .option('--merchant <merchantId>', 'only this merchant’s notifications')
    .option('--limit <n>', 'how many, newest first (1–500)', positiveInt, 20)
    .option('--reveal <notificationId>', 'print the real text of a message kept in the local outbox')
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
