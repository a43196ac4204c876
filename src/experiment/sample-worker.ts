/**
 * One sample of a batch, run exactly as `cellcoloc run` runs it (`runConfiguredWorkflow`: same loader, runner and
 * exporter, so the sample's CSVs and TIFFs are byte-identical to a single run), then done.json.
 *
 * `runSampleJob` is the work; the rest of this module is the worker process around it: the batch forks this very
 * module (the CLI bundle, or the .ts/.js module) with CELLCOLOC_SAMPLE_WORKER=1, sends one job at a time over IPC
 * and gets progress events and the done record back. A worker runs many samples (Node's start-up is paid once per
 * worker, not per image); a crash or a timeout costs only the sample in flight (the batch records it and starts a
 * fresh worker).
 */
import { relative } from 'node:path';
import { parseConfigObject } from '../config/load-config.js';
import { runConfiguredWorkflow } from '../pipeline/run-config.js';
import { checkMemoryBudget } from '../pipeline/memory-guard.js';
import type { ProgressEvent } from '../pipeline/progress.js';
import { clearSampleDir, fingerprintInputs, writeDoneRecord, DONE_SCHEMA_VERSION, type DoneRecord } from './sample-record.js';

export interface SampleJob {
  sample: string;
  index: number;
  metadata: Record<string, string>;
  /** The effective config object (base + image + results_dir + overrides), validated by the batch already. */
  configObject: Record<string, unknown>;
  /** The input paths as the sheet wrote them, in `configObject.image` order (error messages name these). */
  imagesAsWritten: string[];
  /** Relative paths of the base config resolve against its folder. */
  baseConfigPath: string;
  sampleDir: string;
  configHash: string;
  version: string | null;
}

export type WorkerMessage =
  | { type: 'progress'; sample: string; event: ProgressEvent }
  | { type: 'done'; sample: string; record: DoneRecord };

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

function peakRssMiB(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

/**
 * Runs one sample into its folder and writes its done.json (ok or failed); never throws for a sample's own
 * problem (corrupt image, missing channel, bad value): that is the record's `error`.
 */
export async function runSampleJob(job: SampleJob, onProgress?: (e: ProgressEvent) => void): Promise<DoneRecord> {
  const startedAt = new Date();
  const t0 = performance.now();
  await clearSampleDir(job.sampleDir);
  const config = parseConfigObject(job.configObject, job.baseConfigPath);
  const images = Array.isArray(config.image) ? config.image : [config.image];
  const inputPaths = config.rois.kind === 'label_image' ? [...images, config.rois.path] : images;
  // The inputs are hashed while the sample runs (the hash reads the file once more, from the page cache).
  const hashing = fingerprintInputs(inputPaths);
  hashing.catch(() => undefined);
  const base = {
    doneSchemaVersion: DONE_SCHEMA_VERSION,
    sample: job.sample,
    index: job.index,
    metadata: job.metadata,
    kind: (config.singleChannel ? 'single-channel' : 'two-channel') as DoneRecord['kind'],
    configHash: job.configHash,
    version: job.version,
  };
  try {
    maybeTestHook(job.sample);
    // As `cellcoloc run`: a sample whose estimated peak exceeds runtime_config.max_memory_gb (or the memory
    // available now) is refused with one line, before any pixel is read — it fails alone.
    await checkMemoryBudget(config);
    const r = await runConfiguredWorkflow(config, { onProgress });
    const paths = r.run.paths;
    const inputs = await hashing;
    const record: DoneRecord = {
      ...base,
      status: 'ok',
      error: null,
      stem: paths.stem,
      resultsSubdir: relative(job.sampleDir, paths.resultsDir),
      inputs,
      timings: timingsOf(startedAt, t0, r.run.timings),
      workerPeakRssMiB: peakRssMiB(),
    };
    await writeDoneRecord(job.sampleDir, record);
    return record;
  } catch (err) {
    const inputs = await hashing.catch(() => inputPaths.map((path) => ({ path, sha256: '', sizeBytes: -1 })));
    const record: DoneRecord = {
      ...base,
      status: 'failed',
      error: portableError(oneLine(err instanceof Error ? err.message : String(err)), job, images),
      stem: null,
      resultsSubdir: null,
      inputs,
      timings: timingsOf(startedAt, t0, []),
      workerPeakRssMiB: peakRssMiB(),
    };
    await writeDoneRecord(job.sampleDir, record);
    return record;
  }
}

/**
 * The error with this machine's absolute paths replaced by the sheet's own (inputs) and `samples/<name>` (results):
 * failures.csv is then the same wherever the experiment ran.
 */
export function portableError(message: string, job: Pick<SampleJob, 'sample' | 'sampleDir' | 'imagesAsWritten'>, images: readonly string[]): string {
  let m = message.split(job.sampleDir).join(`samples/${job.sample}`);
  // Longest paths first, so that a path that prefixes another is not replaced inside it.
  const pairs = images.map((abs, i) => [abs, job.imagesAsWritten[i] ?? abs] as const).sort((a, b) => b[0].length - a[0].length);
  for (const [abs, asWritten] of pairs) m = m.split(abs).join(asWritten);
  return m;
}

function timingsOf(startedAt: Date, t0: number, stages: { stage: string; ms: number }[]): DoneRecord['timings'] {
  return { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), wallMs: Math.round((performance.now() - t0) * 1000) / 1000, stages };
}

/**
 * Test-only: `CELLCOLOC_TEST_SAMPLE_HOOK=crash:<sample>` kills this worker process (SIGKILL, as the kernel's
 * out-of-memory killer would) and `hang:<sample>` blocks it forever, when it reaches that sample. Lets the tests
 * prove crash isolation and the per-sample timeout on real processes.
 */
function maybeTestHook(sample: string): void {
  const hook = process.env.CELLCOLOC_TEST_SAMPLE_HOOK;
  if (!hook) return;
  const [what, name] = hook.split(':');
  if (name !== sample) return;
  if (what === 'crash') process.kill(process.pid, 'SIGKILL');
  if (what === 'hang') {
    const sab = new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(sab, 0, 0); // blocks the event loop for good, like a hung read
  }
}

/** The worker process: one job at a time from the batch, replies over IPC. */
function serveJobs(): void {
  process.on('message', (msg: { type: 'run'; job: SampleJob } | { type: 'exit' }) => {
    if (msg.type === 'exit') {
      process.disconnect?.();
      return;
    }
    const job = msg.job;
    void runSampleJob(job, (event) => process.send?.({ type: 'progress', sample: job.sample, event } satisfies WorkerMessage)).then(
      (record) => process.send?.({ type: 'done', sample: job.sample, record } satisfies WorkerMessage),
      (err) => {
        // Only a failure to write done.json itself gets here: report it as the sample's error.
        const record = { sample: job.sample, status: 'failed', error: oneLine(String((err as Error)?.message ?? err)) } as DoneRecord;
        process.send?.({ type: 'done', sample: job.sample, record } satisfies WorkerMessage);
      },
    );
  });
}

/** The URL of this module (the CLI bundle when bundled): what the batch forks. */
export const SAMPLE_WORKER_URL = import.meta.url;
export const SAMPLE_WORKER_ENV = 'CELLCOLOC_SAMPLE_WORKER';

if (process.env[SAMPLE_WORKER_ENV] === '1' && typeof process.send === 'function') {
  delete process.env[SAMPLE_WORKER_ENV];
  serveJobs();
}
