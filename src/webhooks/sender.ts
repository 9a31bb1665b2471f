import { type LookupAddress, type LookupOptions, lookup } from 'node:dns';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isPrivateAddress } from './webhook.js';

/**
 * The HTTP side of a delivery: one POST, no redirects followed, a hard overall timeout, and (unless
 * private addresses are allowed) a check of the address actually connected to. Checking in the
 * socket's own DNS lookup, not before it, means a host name cannot pass the check with a public
 * address and then connect to a private one (DNS rebinding).
 */
export interface PostResult {
  statusCode: number;
  /** The start of the response body, for the delivery log. */
  bodySnippet: string;
}

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

const SNIPPET_BYTES = 512;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad || addresses.length === 0) {
      return callback(new Error(`${hostname} resolves to a private or loopback address, which is not allowed`), '');
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
}

/**
 * POSTs `body` to `url` and resolves with the status code, whatever it is.
 * @throws Error for a refused address, a network error or the timeout (the message is for the log)
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new Error('the endpoint URL is not valid'));
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && isIP(host) && isPrivateAddress(host)) {
      return reject(new Error(`${host} is a private or loopback address, which is not allowed`));
    }
    const send = u.protocol === 'https:' ? httpsRequest : u.protocol === 'http:' ? httpRequest : undefined;
    if (!send) return reject(new Error('the endpoint URL is not http(s)'));

    let settled = false;
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    const finish = (error: Error | undefined, result?: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res?.destroy();
      req?.destroy();
      if (error) reject(error);
      else resolve(result as PostResult);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer within ${Math.round(opts.timeoutMs / 1000)} s`)),
      opts.timeoutMs,
    );

    req = send(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        agent: false,
        ...(opts.allowPrivate ? {} : { lookup: guardedLookup as never }),
      },
      (response) => {
        res = response;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () =>
          finish(undefined, {
            statusCode: response.statusCode ?? 0,
            bodySnippet: Buffer.concat(chunks).toString('utf8').slice(0, SNIPPET_BYTES),
          });
        response.on('data', (c: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(c);
          size += c.length;
          if (size >= SNIPPET_BYTES) done();
        });
        response.on('end', done);
        response.on('close', done);
        response.on('error', (e) => finish(e));
      },
    );
    req.on('error', (e) => finish(e));
    req.end(body);
  });
}
