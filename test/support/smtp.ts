import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that keeps every message it receives, parsed. */
export interface TestSmtp {
  port: number;
  url: string;
  messages: ParsedMail[];
  to(address: string): ParsedMail[];
  close(): Promise<void>;
}

export async function startSmtp(port = 0, delayMs = 0): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      simpleParser(stream).then(
        (m) => {
          messages.push(m);
          setTimeout(done, delayMs);
        },
        (e) => done(e),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}/?ignoreTLS=true`,
    messages,
    to: (address) => messages.filter((m) => JSON.stringify(m.to).includes(address)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
