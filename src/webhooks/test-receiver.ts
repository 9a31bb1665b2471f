import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test support (not used by the app): a webhook receiver on 127.0.0.1, port 0. It keeps every
 * request's raw body and headers and answers with `statuses` in turn, then with `fallback`.
 */
export interface ReceivedWebhook {
  method: string | undefined;
  path: string | undefined;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  statuses: number[];
  fallback: number;
  close(): Promise<void>;
}

export async function startReceiver(statuses: number[] = [], fallback = 200): Promise<Receiver> {
  const r = { received: [] as ReceivedWebhook[], statuses: [...statuses], fallback };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.received.push({
        method: req.method,
        path: req.url,
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      });
      const status = r.statuses.shift() ?? r.fallback;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : `receiver says ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(r, {
    port,
    url: `http://127.0.0.1:${port}/hooks/refunddesk`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
