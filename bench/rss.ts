import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB, from /proc (Linux); undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system, every thread) a process has used, from /proc/PID/stat (ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak and the last sample. */
export function sampleRss(pid: number, everyMs = 250): { stop(): { peakMiB: number; lastMiB: number } } {
  let peak = rssMiB(pid) ?? 0;
  let last = peak;
  const timer = setInterval(() => {
    const now = rssMiB(pid);
    if (now === undefined) return;
    last = now;
    peak = Math.max(peak, now);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakMiB: peak, lastMiB: last };
    },
  };
}

/**
 * The whole machine's CPU seconds so far, from /proc/stat: busy (every state but idle and I/O wait,
 * the load generator and PostgreSQL included) and all, summed over the cores.
 */
export function machineCpuSeconds(): { busy: number; all: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1, 9).map(Number);
  const all = ticks.reduce((a, t) => a + t, 0);
  return { busy: (all - ticks[3] - ticks[4]) / 100, all: all / 100 };
}
