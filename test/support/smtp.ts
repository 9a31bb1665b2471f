import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that keeps every message it receives, parsed. */
export interface TestSmtp {
  port: number;
  url: string;
  messages: ParsedMail[];
  /** How many connections clients have opened to it. */
  connections(): number;
  to(address: string): ParsedMail[];
  close(): Promise<void>;
}

export async function startSmtp(port = 0, delayMs = 0): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  let connections = 0;
  const server = new SMTPServer({
    onConnect(_session, done) {
      connections++;
      done();
    },
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Closing, it answers a connection a client keeps open (RefundDesk's pool) 421 at once, as a
    // server going down does, instead of waiting 30 s for the client to leave.
    closeTimeout: 50,
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
    connections: () => connections,
    to: (address) => messages.filter((m) => JSON.stringify(m.to).includes(address)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
