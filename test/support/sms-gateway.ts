import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP SMS gateway on loopback that keeps every request it receives. */
export interface TestSmsGateway {
  url: string;
  requests: Array<{ method?: string; auth?: string; body: { to: string; text: string; reference: string } }>;
  /** The messages sent to one number, oldest first. */
  to(phone: string): string[];
  close(): Promise<void>;
}

/** Answers with the given statuses in turn (then 200, with an `id`); an error reply echoes the text. */
export async function startSmsGateway(statuses: number[] = []): Promise<TestSmsGateway> {
  const requests: TestSmsGateway['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      requests.push({ method: req.method, auth: req.headers.authorization, body });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status < 300 ? { id: `gw-${requests.length}` } : { error: `echo ${body.text}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1/sms`,
    requests,
    to: (phone) => requests.filter((r) => r.body.to === phone).map((r) => r.body.text),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
