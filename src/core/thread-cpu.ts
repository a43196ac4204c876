import { readFileSync } from 'node:fs';

/**
 * CPU time of the calling thread so far, ms, on Linux (`/proc/thread-self/schedstat`: ns on a CPU); null elsewhere.
 * For figures compared on a shared machine: the process's CPU time (`process.cpuUsage`) also counts V8's helper
 * threads and the thread pool, and the wall time other jobs' load.
 */
export function threadCpuMs(): number | null {
  try {
    const ms = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}
