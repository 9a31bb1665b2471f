import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './sender.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return; // never answers
    if (req.url === '/redirect') {
      res.writeHead(302, { location: 'http://169.254.169.254/' });
      return res.end();
    }
    res.writeHead(418);
    res.end('x'.repeat(10_000));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

const opts = { timeoutMs: 2000, allowPrivate: true };

describe('posting a webhook', () => {
  it('resolves with any status and a short snippet of the answer', async () => {
    const r = await postWebhook(`http://127.0.0.1:${port}/x`, '{}', {}, opts);
    expect(r.statusCode).toBe(418);
    expect(r.bodySnippet.length).toBeLessThanOrEqual(512);
  });

  it('does not follow redirects', async () => {
    expect((await postWebhook(`http://127.0.0.1:${port}/redirect`, '{}', {}, opts)).statusCode).toBe(302);
  });

  it('gives up after the timeout', async () => {
    await expect(postWebhook(`http://127.0.0.1:${port}/slow`, '{}', {}, { ...opts, timeoutMs: 150 })).rejects.toThrow(
      /no answer within/,
    );
  });

  it('reports a refused connection as an error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const p = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(postWebhook(`http://127.0.0.1:${p}/`, '{}', {}, opts)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses private addresses in production, by literal and by what a name resolves to', async () => {
    const prod = { ...opts, allowPrivate: false };
    await expect(postWebhook(`http://127.0.0.1:${port}/x`, '{}', {}, prod)).rejects.toThrow(/private or loopback/);
    await expect(postWebhook(`http://localhost:${port}/x`, '{}', {}, prod)).rejects.toThrow(/resolves to a private/);
  });
});
