/**
 * Preloaded into each benchmarked server (`node --import bench/eld-probe.mjs`). Idle until the
 * benchmark asks over IPC; then it records the server's event-loop delay with perf_hooks, which is
 * the one number that shows whether something blocked the loop, and tells the stalls that were
 * garbage collection from the others: a timer ticking every RESOLUTION_MS notes each late tick (a
 * stall) with the CPU time the process used meanwhile, a PerformanceObserver notes every GC pause,
 * and a stall's time outside GC is its length less the GC pauses inside it. On a machine whose
 * cores the load generator shares, a stall can also be time the server waited for a CPU (it used
 * less CPU than the stall lasted): `maxOwnOutsideGc` counts only the time the process ran — an upper
 * bound on the event loop's own share, since the process's CPU time adds up every thread (V8's GC
 * helpers, libuv's pool). Issue
 * 12's target counts stalls "outside GC". Touches nothing in the app. Plain JavaScript, so a compiled server runs without a TypeScript loader (whose thread
 * costs memory).
 */
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';

const RESOLUTION_MS = 2;
/** A tick later than this beyond its interval is a stall worth attributing. */
const STALL_MS = 5;
const send = process.send?.bind(process);

if (send) {
  let h;
  let stalls = [];
  let gcs = [];
  let ticker;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  /** The GC pauses inside a stall, in ms. */
  const gcIn = (s) => gcs.reduce((a, g) => a + Math.max(0, Math.min(s.end, g.end) - Math.max(s.start, g.start)), 0);
  /** The longest stall once the GC pauses inside it are taken out, in ms. */
  const maxOutsideGc = () => Math.max(0, ...stalls.map((s) => s.end - s.start - RESOLUTION_MS - gcIn(s)));
  /** The same, counting only the time the process ran (not time it waited for a CPU), in ms. */
  const maxOwnOutsideGc = () =>
    Math.max(0, ...stalls.map((s) => Math.min(s.end - s.start - RESOLUTION_MS, s.cpu) - gcIn(s)));
  process.on('message', (m) => {
    if (m?.cmd === 'eld:start') {
      h?.disable();
      h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      h.enable();
      stalls = [];
      gcs = [];
      gcObserver.observe({ entryTypes: ['gc'] });
      clearInterval(ticker);
      let last = performance.now();
      let lastCpu = process.cpuUsage();
      ticker = setInterval(() => {
        const now = performance.now();
        const cpu = process.cpuUsage();
        if (now - last > RESOLUTION_MS + STALL_MS) {
          const used = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
          stalls.push({ start: last, end: now, cpu: used });
        }
        last = now;
        lastCpu = cpu;
      }, RESOLUTION_MS);
      send({ type: 'eld:started' });
    } else if (m?.cmd === 'eld:read') {
      h?.disable();
      clearInterval(ticker);
      gcObserver.disconnect();
      send({
        type: 'eld',
        p50: h ? ms(h.percentile(50)) : Number.NaN,
        p99: h ? ms(h.percentile(99)) : Number.NaN,
        max: h ? ms(h.max) : Number.NaN,
        maxOutsideGc: h ? maxOutsideGc() : Number.NaN,
        maxOwnOutsideGc: h ? maxOwnOutsideGc() : Number.NaN,
        gcPauseMax: gcs.reduce((a, g) => Math.max(a, g.end - g.start), 0),
        samples: h?.count ?? 0,
      });
      h = undefined;
    }
  });
  // The benchmark died without stopping us: shut down the way Ctrl-C would.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel?.unref();
}
