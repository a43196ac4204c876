/**
 * Bounded memory (issue 15.2): before any pixel is read, the run's peak memory is estimated from the image's
 * declared size and the config (memory-estimate.ts) and the run refused, with one line naming the file, the
 * declared size and the estimate, when it exceeds the limit: `runtime_config.max_memory_gb` or the CLI's
 * `--max-memory`, else the memory available now minus a margin (10 %, at least 256 MiB) for the system.
 */
import { freemem } from 'node:os';
import { inputError } from '../core/errors.js';
import type { AnalysisConfig } from '../config/types.js';
import { estimatePeakMemoryForConfig, type MemoryEstimate, type DeclaredImage } from './memory-estimate.js';

const GiB = 2 ** 30;
const MARGIN_MIN = 256 * 2 ** 20;

/** Memory a new run may use now (bytes): cgroup-aware where Node reports it, minus the margin. */
export function defaultMemoryLimitBytes(): number {
  const proc = process as unknown as { availableMemory?: () => number };
  const available = typeof proc.availableMemory === 'function' ? Math.min(proc.availableMemory(), freemem()) : freemem();
  return Math.max(0, available - Math.max(MARGIN_MIN, available * 0.1));
}

export interface MemoryCheck {
  estimate: MemoryEstimate & { image: DeclaredImage };
  limitBytes: number;
  /** Where the limit came from, for messages. */
  source: 'max_memory_gb' | '--max-memory' | 'available memory';
}

const gib = (b: number) => (b / GiB).toFixed(b < 10 * GiB ? 2 : 1);

/**
 * Estimates the run's peak memory and throws one InputError when it exceeds the limit. `overrideGb` (the
 * CLI's --max-memory) wins over the config's `max_memory_gb`.
 */
export async function checkMemoryBudget(config: AnalysisConfig, overrideGb?: number | null): Promise<MemoryCheck> {
  const estimate = await estimatePeakMemoryForConfig(config);
  const fromConfig = config.runtimeConfig.maxMemoryGb ?? null;
  const source: MemoryCheck['source'] =
    overrideGb !== undefined && overrideGb !== null ? '--max-memory' : fromConfig !== null ? 'max_memory_gb' : 'available memory';
  const limitBytes = source === '--max-memory' ? overrideGb! * GiB : source === 'max_memory_gb' ? fromConfig! * GiB : defaultMemoryLimitBytes();
  if (estimate.peakBytes > limitBytes) {
    const [T, Z, C, Y, X] = estimate.image.shapeTzcyx;
    const file = Array.isArray(config.image) ? config.image.join(', ') : config.image;
    const how =
      source === 'available memory'
        ? `the ${gib(limitBytes)} GiB this machine has available (set runtime_config.max_memory_gb or --max-memory to override)`
        : `the limit of ${gib(limitBytes)} GiB (${source === '--max-memory' ? '--max-memory' : 'runtime_config.max_memory_gb'})`;
    throw inputError(
      `${file}: declares T×Z×C×Y×X = ${T}×${Z}×${C}×${Y}×${X} ${estimate.image.dtype}; this run would need an estimated ` +
        `${gib(estimate.peakBytes)} GiB, more than ${how}`,
    );
  }
  return { estimate, limitBytes, source };
}
