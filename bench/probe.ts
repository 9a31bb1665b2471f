import { Agent, request } from 'node:http';
import { type LatencySummary, summarise } from './stats.js';

export interface ProbeResult {
  latency: LatencySummary;
  /** Every successful probe's latency, ms. */
  samples: number[];
  failures: number;
}

/**
 * GET `url` `rate` times a second for `seconds`, open loop: each probe leaves on a timer whether
 * or not the previous one has come back, so a stalled server shows up as latency, not as fewer
 * samples (no coordinated omission). Latency is measured with performance.now(), sub-millisecond.
 */
export async function probe(url: string, rate: number, seconds: number): Promise<ProbeResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const samples: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const one = () =>
    new Promise<void>((res) => {
      const t0 = performance.now();
      const req = request(url, { agent }, (r) => {
        r.resume();
        r.on('end', () => {
          if (r.statusCode === 200) samples.push(performance.now() - t0);
          else failures++;
          res();
        });
      });
      req.on('error', () => {
        failures++;
        res();
      });
      req.end();
    });
  const interval = 1000 / rate;
  const start = performance.now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    // Schedule against the start time so timer drift does not lower the rate.
    const wait = start + i * interval - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(one());
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { latency: summarise(samples), samples, failures };
}
