/**
 * `npx tsx bench/email.ts [messages]`: e-mails per second through RefundDesk's SMTP provider, its
 * connections pooled (src/notifications/email.ts), against a transport made for each message (a
 * connection, greeting and EHLO per e-mail, as the provider did before), to a real SMTP server on
 * loopback (smtp-server, in this process, without TLS: a real relay's TLS handshake per connection
 * would widen the gap). 16 sends at once, as the worker's 16 lanes make them; the two ways
 * alternate for 3 rounds, and the ratio is of the medians. Not a test.
 */
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { closeSmtpPools, SmtpEmailProvider } from '../src/notifications/email.js';
import { fmt } from './report.js';

const MESSAGES = Number(process.argv[2] ?? 400);
const AT_ONCE = 16;
const ROUNDS = 3;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  closeTimeout: 50,
  onData(stream, _session, done) {
    stream.on('data', () => {});
    stream.on('end', () => done());
  },
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}/?ignoreTLS=true`;

type Send = (n: number) => Promise<unknown>;
const message = (n: number) => ({
  reference: `ntf_${n}`,
  to: `bench-${n}@example.test`,
  subject: 'RefundDesk',
  text: 'x'.repeat(400),
});
const pooled = new SmtpEmailProvider(url);
const ways: Record<string, Send> = {
  'a transport a message': async (n) => {
    const transport = nodemailer.createTransport({ url });
    try {
      const m = message(n);
      await transport.sendMail({
        from: 'RefundDesk <no-reply@refunddesk.local>',
        to: m.to,
        subject: m.subject,
        text: m.text,
      });
    } finally {
      transport.close();
    }
  },
  pooled: (n) => pooled.send(message(n)),
};

/** Sends MESSAGES e-mails, AT_ONCE at a time: e-mails/s and this process's CPU ms an e-mail. */
async function round(send: Send) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (next < MESSAGES) await send(next++);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await closeSmtpPools();
  return { perSecond: MESSAGES / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / MESSAGES };
}

const results = Object.fromEntries(Object.keys(ways).map((name) => [name, [] as Awaited<ReturnType<typeof round>>[]]));
for (const name of Object.keys(ways)) await round(ways[name]); // warm-up
for (let r = 0; r < ROUNDS; r++) for (const [name, send] of Object.entries(ways)) results[name].push(await round(send));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `${MESSAGES} e-mails, ${AT_ONCE} at once, ${ROUNDS} alternating rounds (client and server in this process):`,
);
for (const [name, rs] of Object.entries(results)) {
  console.log(
    `  ${name.padEnd(22)} ${rs.map((r) => fmt.n(r.perSecond)).join(', ')} e-mails/s; ` +
      `CPU ${rs.map((r) => r.cpuMs.toFixed(2)).join(', ')} ms an e-mail`,
  );
}
const [base, pool] = Object.values(results);
console.log(
  `pooled ÷ a transport a message: ${fmt.x(median(pool.map((r) => r.perSecond)) / median(base.map((r) => r.perSecond)))} e-mails/s, ` +
    `${fmt.x(median(pool.map((r) => r.cpuMs)) / median(base.map((r) => r.cpuMs)))} CPU an e-mail`,
);
await new Promise<void>((resolve) => server.close(() => resolve()));
