/**
 * Preloaded into each benchmarked server (`node --import bench/eld-probe.mjs`). Idle until the
 * benchmark asks over IPC; then it records the server's event-loop delay with perf_hooks, which is
 * the one number that shows whether something blocked the loop. Touches nothing in the app. Plain
 * JavaScript, so a compiled server runs without a TypeScript loader (whose thread costs memory).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 2;
const send = process.send?.bind(process);

if (send) {
  let h;
  const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.on('message', (m) => {
    if (m?.cmd === 'eld:start') {
      h?.disable();
      h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      h.enable();
      send({ type: 'eld:started' });
    } else if (m?.cmd === 'eld:read') {
      h?.disable();
      send({
        type: 'eld',
        p50: h ? ms(h.percentile(50)) : Number.NaN,
        p99: h ? ms(h.percentile(99)) : Number.NaN,
        max: h ? ms(h.max) : Number.NaN,
        samples: h?.count ?? 0,
      });
      h = undefined;
    }
  });
  // The benchmark died without stopping us: shut down the way Ctrl-C would.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel?.unref();
}
