import autocannon from 'autocannon';
import { type LatencySummary, summarise } from './stats.js';

export interface LoadResult {
  seconds: number;
  /** Responses received, any status. */
  responses: number;
  ok: number;
  /** ok responses per second. */
  okPerSecond: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** Every response's latency in ms, float (autocannon's own histogram keeps whole ms). */
  samples: number[];
  latency: LatencySummary;
}

export interface LoadRun {
  stop(): void;
  done: Promise<LoadResult>;
}

/** Shared across runs so successive runs keep rotating over fresh payments. */
export interface Rotation {
  ids: readonly string[];
  next: number;
}

/**
 * POSTs JSON bodies made by `body(paymentId)` to `path` with `connections` keep-alive connections
 * for `duration` seconds (or until stop()), each request on the next payment of the rotation.
 */
export function postLoad(opts: {
  url: string;
  path: string;
  token: string;
  connections: number;
  duration: number;
  rotation: Rotation;
  body: (paymentId: string) => unknown;
}): LoadRun {
  const { rotation } = opts;
  const samples: number[] = [];
  let instance: autocannon.Instance | undefined;
  const done = new Promise<LoadResult>((res, rej) => {
    instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: opts.duration,
        timeout: 30,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
        requests: [
          {
            method: 'POST',
            path: opts.path,
            setupRequest: (req) => {
              const id = rotation.ids[rotation.next++ % rotation.ids.length];
              return { ...req, body: JSON.stringify(opts.body(id)) };
            },
          },
        ],
      },
      (err, r) => {
        if (err) return rej(err);
        const statuses: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(r.statusCodeStats)) statuses[code] = count;
        const seconds = r.duration;
        res({
          seconds,
          responses: samples.length,
          ok: r['2xx'],
          okPerSecond: r['2xx'] / seconds,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          statuses,
          samples,
          latency: summarise(samples),
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      samples.push(ms);
    });
  });
  return { stop: () => instance?.stop(), done };
}

/** Several runs of one server as if one: counts add up, latency percentiles over all samples. */
export function combine(runs: readonly LoadResult[]): LoadResult {
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const sum = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  const samples = runs.flatMap((r) => r.samples);
  const seconds = sum((r) => r.seconds);
  const ok = sum((r) => r.ok);
  return {
    seconds,
    responses: sum((r) => r.responses),
    ok,
    okPerSecond: ok / seconds,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statuses,
    samples,
    latency: summarise(samples),
  };
}

/** The benchmarks' refund: 1 minor unit of the next payment, by an API key. */
export const refundBody = (paymentId: string) => ({ paymentId, amount: 1, reason: 'other' });

/** `POST /api/v1/refunds` load (`refundBody`), rotating over `rotation`'s payments. */
export function refundLoad(opts: {
  url: string;
  token: string;
  connections: number;
  duration: number;
  rotation: Rotation;
}): LoadRun {
  return postLoad({ ...opts, path: '/api/v1/refunds', body: refundBody });
}
