/**
 * Resources of one sample before it runs: peak memory (the pipeline's estimate from the image header and the
 * config) and wall time, for `batch --jobs` (how many workers fit the memory) and for a cluster scheduler
 * (`estimateSampleResources`: the memory and time request of a sample's job, e.g. a Snakemake rule's
 * `resources: mem_mb=…, runtime=…`).
 *
 * Time model (calibrated on `npm run bench` and the demo, 2-core shared VM): a threshold-method run costs
 * ≈ 0.25 s per million voxels per segmented channel-pair plus ≈ 0.5 s fixed (Node start-up, loading, export);
 * a Cellpose channel on CPU is budgeted at 30 s per million voxels (network tiles, flows and masks; a GPU is far
 * faster). The request adds a safety factor of 3 and at least 5 minutes, since a job killed at its time limit is a
 * failed sample while an over-asked one only waits a little longer in the queue.
 */
import { availableParallelism, freemem, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { AnalysisConfig } from '../config/types.js';
import { estimatePeakMemoryForConfig, type MemoryEstimate } from '../pipeline/memory-estimate.js';

const THRESHOLD_S_PER_MVOXEL = 0.25;
const CELLPOSE_S_PER_MVOXEL = 30;
const FIXED_S = 0.5;
const TIME_SAFETY = 3;
const MIN_REQUEST_MINUTES = 5;
/** Requests round the memory estimate up by this factor and to a multiple of 64 MiB. */
const MEMORY_SAFETY = 1.25;

export interface SampleResources {
  memory: MemoryEstimate;
  /** Expected wall time of the sample (s). */
  expectedSeconds: number;
  /** What to ask a cluster scheduler for: memory in MB (MiB, as SLURM counts) and minutes. */
  request: { memMb: number; runtimeMinutes: number };
}

export function expectedSeconds(memory: MemoryEstimate): number {
  const mvox = memory.voxels / 1e6;
  const threshold = memory.counts.segmented - memory.counts.cellpose;
  return FIXED_S + mvox * (THRESHOLD_S_PER_MVOXEL * Math.max(1, threshold / 2) + CELLPOSE_S_PER_MVOXEL * memory.counts.cellpose);
}

/** Memory and time of one sample (reads the image header only), with the cluster request derived from them. */
export async function estimateSampleResources(config: AnalysisConfig): Promise<SampleResources> {
  const memory = await estimatePeakMemoryForConfig(config);
  return resourcesFromEstimate(memory);
}

export function resourcesFromEstimate(memory: MemoryEstimate): SampleResources {
  const seconds = expectedSeconds(memory);
  return {
    memory,
    expectedSeconds: Math.round(seconds * 10) / 10,
    request: {
      memMb: Math.ceil((memory.peakMiB * MEMORY_SAFETY) / 64) * 64,
      runtimeMinutes: Math.max(MIN_REQUEST_MINUTES, Math.ceil((seconds * TIME_SAFETY) / 60)),
    },
  };
}

/** Memory this process may still use (bytes): the kernel's MemAvailable, capped by a cgroup (container) limit. */
export function availableMemory(): { bytes: number; source: string } {
  let bytes = freemem();
  let source = 'os.freemem()';
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) {
      bytes = Number(m[1]) * 1024;
      source = '/proc/meminfo MemAvailable';
    }
  } catch {
    /* not Linux */
  }
  try {
    const max = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (max !== 'max') {
      const current = Number(readFileSync('/sys/fs/cgroup/memory.current', 'utf8').trim());
      const left = Number(max) - current;
      if (Number.isFinite(left) && left < bytes) {
        bytes = Math.max(0, left);
        source = 'cgroup memory.max − memory.current';
      }
    }
  } catch {
    /* no cgroup v2 limit */
  }
  return { bytes: Math.min(bytes, totalmem()), source };
}

export interface JobsChoice {
  jobs: number;
  /** `--jobs` as given, or null (default: the number of cores). */
  requested: number | null;
  cores: number;
  availableMemoryMiB: number;
  memorySource: string;
  /** The largest per-sample estimate among the samples to run (MiB). */
  perSampleMiB: number;
  reason: string;
}

/**
 * Worker count: `--jobs` or the number of cores, then lowered so that jobs × the largest sample's estimated peak
 * fits 90 % of the available memory (the batch process itself and the page cache keep the rest), never above the
 * number of samples to run, at least 1 (a sample that alone exceeds the memory still gets its try; it is then
 * that sample that fails, not the experiment).
 */
export function chooseJobs(
  requested: number | null,
  perSampleMiB: number,
  samplesToRun: number,
  system: { cores: number; availableBytes: number; source: string } = (() => {
    const a = availableMemory();
    return { cores: availableParallelism(), availableBytes: a.bytes, source: a.source };
  })(),
): JobsChoice {
  const want = requested ?? system.cores;
  const availMiB = Math.floor(system.availableBytes / 2 ** 20);
  const fit = perSampleMiB > 0 ? Math.max(1, Math.floor((0.9 * availMiB) / perSampleMiB)) : want;
  let jobs = Math.max(1, Math.min(want, fit, Math.max(1, samplesToRun)));
  const parts = [requested === null ? `default: ${system.cores} cores` : `--jobs ${requested}`];
  if (fit < want) parts.push(`lowered to ${fit}: ${fit} × ${perSampleMiB} MiB estimated per sample fits 90 % of ${availMiB} MiB available`);
  if (samplesToRun < Math.min(want, fit)) parts.push(`only ${samplesToRun} sample${samplesToRun === 1 ? '' : 's'} to run`);
  jobs = Math.max(1, jobs);
  return { jobs, requested, cores: system.cores, availableMemoryMiB: availMiB, memorySource: system.source, perSampleMiB, reason: parts.join('; ') };
}
