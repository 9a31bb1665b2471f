import { afterEach, describe, expect, it } from 'vitest';
import { startSmtp, type TestSmtp } from '../../test/support/smtp.js';
import { closeSmtpPools, SMTP_MAX_CONNECTIONS, SmtpEmailProvider } from './email.js';

/** The SMTP provider against a real SMTP server on loopback: its connections are pooled. */
describe('e-mail over SMTP', () => {
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    await closeSmtpPools();
    await smtp?.close();
    smtp = undefined;
  });

  const message = (n: number) => ({
    reference: `ntf_${n}`,
    to: `pool-${n}@example.test`,
    subject: `s${n}`,
    text: `t${n}`,
  });

  it('sends one message after another over one connection', async () => {
    smtp = await startSmtp();
    const provider = new SmtpEmailProvider(smtp.url);
    for (let n = 0; n < 5; n++) await provider.send(message(n));
    // Another provider for the same server and sender shares the pool.
    await new SmtpEmailProvider(smtp.url).send(message(5));
    expect(smtp.messages.map((m) => m.subject)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(smtp.connections()).toBe(1);
  });

  it(`opens at most ${SMTP_MAX_CONNECTIONS} connections however many messages are sent at once`, async () => {
    smtp = await startSmtp(0, 20); // the server takes 20 ms a message, so sends overlap
    const provider = new SmtpEmailProvider(smtp.url);
    const ids = await Promise.all(Array.from({ length: 40 }, (_, n) => provider.send(message(n))));
    expect(new Set(ids.map((r) => r.providerMessageId)).size).toBe(40);
    expect(smtp.messages).toHaveLength(40);
    expect(smtp.connections()).toBeGreaterThan(1);
    expect(smtp.connections()).toBeLessThanOrEqual(SMTP_MAX_CONNECTIONS);
  });

  it('opens a new connection when the server closed the pooled one (a restart)', async () => {
    smtp = await startSmtp();
    const port = smtp.port;
    const provider = new SmtpEmailProvider(smtp.url);
    await provider.send(message(1));
    await smtp.close(); // says 421 to the connection the pool keeps, and closes it
    smtp = await startSmtp(port);
    await provider.send(message(2));
    expect(smtp.messages.map((m) => m.subject)).toEqual(['s2']);
    expect(smtp.connections()).toBe(1);
  });

  it('fails a send while the server is down, and sends once it is back', async () => {
    smtp = await startSmtp();
    const port = smtp.port;
    const url = smtp.url;
    await smtp.close();
    smtp = undefined;
    const provider = new SmtpEmailProvider(url);
    await expect(provider.send(message(1))).rejects.toThrow(/smtp send failed: .*ECONNREFUSED/);
    smtp = await startSmtp(port);
    await provider.send(message(2));
    expect(smtp.messages.map((m) => m.subject)).toEqual(['s2']);
  });
});
