/**
 * `cellcoloc batch` (issue 14): one sample sheet + one base config → `DIR/samples/<sample>/` per sample (exactly
 * what `cellcoloc run` writes, plus done.json), then the merged tables.
 *
 *   1. plan: the base config, the whole sheet and every selected sample's effective config are checked before
 *      anything is written; all problems come back together (`ExperimentProblems`), one line each;
 *   2. resume: a sample whose done.json matches its inputs, config and version is skipped (its files untouched);
 *   3. run: worker processes (`--jobs`, bounded by the estimated memory per sample), per-sample timeout;
 *   4. merge (unless `--only`): the merged tables, failures.csv and batch_manifest.json.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CellColocError } from '../core/errors.js';
import { ownPackage } from '../export/manifest.js';
import { acquireResultsLock, assertResultsFolderFree, type ResultsLock } from '../export/results-lock.js';
import type { ProgressEvent } from '../pipeline/progress.js';
import { estimatePeakMemoryForConfig } from '../pipeline/memory-estimate.js';
import { loadSampleSheet, type SampleRow, type SampleSheet } from './sheet.js';
import { buildSampleConfig, effectiveConfigHash, loadBaseConfig, sampleConfigObject, sampleDirOf, type BaseConfig } from './sample-config.js';
import { resumeDecision, type DoneRecord } from './sample-record.js';
import { sheetRecordOf, writeSheetRecord } from './sheet-record.js';
import { chooseJobs, type JobsChoice } from './resources.js';
import { runSamplesInWorkers } from './worker-pool.js';
import type { SampleJob } from './sample-worker.js';
import { mergeExperiment, type MergeResult } from './merge.js';
import type { AnalysisConfig } from '../config/types.js';

/** Every problem of the sheet / base config / options, one line each; nothing was written. */
export class ExperimentProblems extends CellColocError {
  constructor(readonly problems: string[], readonly sheetLabel: string) {
    super('ConfigError', `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${sheetLabel}; nothing was run`);
  }
}

export interface BatchOptions {
  sheet: string;
  baseConfig: string;
  /** Default: the base config's results_dir, else `<sheet folder>/<sheet name>_results`. */
  resultsDir?: string | null;
  /** null = number of cores (then bounded by memory). */
  jobs?: number | null;
  force?: boolean;
  /** Run only these samples (cluster jobs); no merge then. */
  only?: string[] | null;
  timeoutPerSampleS?: number | null;
  onEvent?: (e: BatchEvent) => void;
  /** Notices of the experiment folder's lock (a stale lock taken over, temporary files of killed runs removed). */
  onNotice?: (message: string) => void;
  /** What the lock file names as the holder (default `batch <sheet>`). */
  lockCommand?: string;
}

export type BatchEvent =
  | { type: 'plan'; total: number; toRun: number; upToDate: number; jobs: JobsChoice; resultsDir: string }
  | { type: 'start'; sample: string }
  | { type: 'progress'; sample: string; event: ProgressEvent }
  | { type: 'done'; record: DoneRecord };

export interface BatchResult {
  resultsDir: string;
  ran: DoneRecord[];
  upToDate: string[];
  failed: string[];
  jobs: JobsChoice;
  merge: MergeResult | null;
  wallMs: number;
}

/** A planned sample: its effective config and whether it must run. */
export interface PlannedSample {
  row: SampleRow;
  config: AnalysisConfig;
  configObject: Record<string, unknown>;
  configHash: string;
  sampleDir: string;
  run: boolean;
  reason: string;
}

export interface ExperimentPlan {
  sheet: SampleSheet;
  base: BaseConfig;
  resultsDir: string;
  version: string | null;
  samples: PlannedSample[];
}

function defaultResultsDir(sheet: SampleSheet, base: BaseConfig): string {
  const rd = base.raw.results_dir;
  if (typeof rd === 'string' && rd.trim() !== '') return resolve(dirname(base.path), rd);
  const name = sheet.path.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  return join(dirname(sheet.path), `${name}_results`);
}

/**
 * Steps 1 and 2: everything is checked (throws `ExperimentProblems` with every problem) and each selected sample
 * gets its effective config and resume decision. Writes nothing.
 */
export async function planExperiment(options: Pick<BatchOptions, 'sheet' | 'baseConfig' | 'resultsDir' | 'only' | 'force'>): Promise<ExperimentPlan> {
  const [baseR, sheetR] = await Promise.all([loadBaseConfig(options.baseConfig), loadSampleSheet(options.sheet)]);
  const problems = [...baseR.problems, ...sheetR.problems];
  const label = options.sheet;
  // Row problems do not stop the check: the effective configs of the rows that parsed are validated too, so that
  // the user sees every problem of the sheet at once.
  if (!baseR.base || !sheetR.sheet) throw new ExperimentProblems(problems, label);
  const base = baseR.base;
  const sheet = sheetR.sheet;
  const resultsDir = options.resultsDir ? resolve(options.resultsDir) : defaultResultsDir(sheet, base);
  let rows = sheet.rows;
  if (options.only && options.only.length > 0) {
    const names = new Set(sheet.rows.map((r) => r.sample));
    for (const o of options.only) if (!names.has(o)) problems.push(`--only: sample ${JSON.stringify(o)} is not in ${label}`);
    const want = new Set(options.only);
    rows = rows.filter((r) => want.has(r.sample));
  }
  const version = ownPackage().version;
  const samples: PlannedSample[] = [];
  for (const row of rows) {
    const sampleDir = sampleDirOf(resultsDir, row.sample);
    try {
      const config = buildSampleConfig(base, row, resultsDir);
      samples.push({
        row,
        config,
        configObject: sampleConfigObject(base, row, sampleDir),
        configHash: effectiveConfigHash(config),
        sampleDir,
        run: true,
        reason: '',
      });
    } catch (err) {
      const msg = (err as Error).message.replace(/\s*\n\s*/g, ' ');
      const stripped = msg.startsWith(`${base.path}: `) ? msg.slice(base.path.length + 2) : msg;
      problems.push(`${label}:${row.line}: sample ${JSON.stringify(row.sample)}: ${stripped}`);
    }
  }
  if (problems.length > 0) {
    // In line order: the sheet's own problems and the configs' problems interleaved.
    const lineOf = (p: string) => (p.startsWith(`${label}:`) ? Number(/^(\d+):/.exec(p.slice(label.length + 1))?.[1] ?? 0) : 0);
    const head = problems.slice(0, baseR.problems.length);
    const rest = problems.slice(baseR.problems.length).map((p, i) => [p, i] as const);
    rest.sort((a, b) => lineOf(a[0]) - lineOf(b[0]) || a[1] - b[1]);
    throw new ExperimentProblems([...head, ...rest.map(([p]) => p)], label);
  }
  await Promise.all(
    samples.map(async (s) => {
      const images = Array.isArray(s.config.image) ? s.config.image : [s.config.image];
      const inputs = s.config.rois.kind === 'label_image' ? [...images, s.config.rois.path] : images;
      const d = await resumeDecision(s.sampleDir, { inputs, configHash: s.configHash, version }, options.force === true);
      s.run = d.run;
      s.reason = d.reason;
    }),
  );
  return { sheet, base, resultsDir, version, samples };
}

/** Largest estimated peak memory among the samples to run (MiB); an unreadable header counts as 0 (that sample fails alone). */
async function largestEstimateMiB(samples: readonly PlannedSample[]): Promise<{ maxMiB: number; bySample: Record<string, number | null> }> {
  const bySample: Record<string, number | null> = {};
  let maxMiB = 0;
  // Headers only; a few at a time (a plate has thousands).
  const queue = [...samples];
  const worker = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      try {
        // Regular files only: opening a FIFO or a device would block (such a sample fails, or times out, alone).
        const images = Array.isArray(s.config.image) ? s.config.image : [s.config.image];
        const regular = await Promise.all(images.map((p) => stat(p).then((st) => st.isFile(), () => false)));
        if (!regular.every(Boolean)) throw new Error('not a regular file');
        const e = await estimatePeakMemoryForConfig(s.config);
        bySample[s.row.sample] = e.peakMiB;
        maxMiB = Math.max(maxMiB, e.peakMiB);
      } catch {
        bySample[s.row.sample] = null;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { maxMiB, bySample };
}

export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  const t0 = performance.now();
  const plan = await planExperiment(options);
  // One batch per experiment folder (issue 15.4): a full batch holds the folder's lock through the merge; `--only`
  // jobs (cluster chunks, which run side by side, each writing only its own samples) only check that no full
  // batch, merge or report holds it. Either kind then locks the folders of the samples it will run
  // (samples/<sample>/.cellcoloc.lock, same format), so that two `--only` jobs given the same sample (Snakemake's
  // chunks never overlap, but a user's can), or a full batch started beside an `--only` job, cannot both run it:
  // the second refuses before running anything, naming the holder.
  const only = options.only && options.only.length > 0 ? options.only : null;
  const command = options.lockCommand ?? `batch ${options.sheet}${only ? ` --only ${only.join(',')}` : ''}`;
  const locks: ResultsLock[] = [];
  try {
    if (only) await assertResultsFolderFree(plan.resultsDir);
    else locks.push(await acquireResultsLock(plan.resultsDir, command));
    for (const s of plan.samples) if (s.run) locks.push(await acquireResultsLock(s.sampleDir, command, { sample: s.row.sample }));
    for (const l of locks) for (const n of l.notices) options.onNotice?.(n);
    return await runPlanned(plan, options, t0);
  } finally {
    // Samples first, the experiment folder last (a full batch's merge ran under it).
    for (const l of locks.reverse()) await l.release();
  }
}

async function runPlanned(plan: ExperimentPlan, options: BatchOptions, t0: number): Promise<BatchResult> {
  const toRun = plan.samples.filter((s) => s.run);
  const upToDate = plan.samples.filter((s) => !s.run).map((s) => s.row.sample);
  const est = await largestEstimateMiB(toRun);
  const jobs = chooseJobs(options.jobs ?? null, est.maxMiB, toRun.length);
  options.onEvent?.({ type: 'plan', total: plan.samples.length, toRun: toRun.length, upToDate: upToDate.length, jobs, resultsDir: plan.resultsDir });

  await mkdir(join(plan.resultsDir, 'samples'), { recursive: true });
  await writeSheetRecord(plan.resultsDir, sheetRecordOf(plan.sheet, plan.base, plan.version));
  const queue: SampleJob[] = toRun.map((s) => ({
    sample: s.row.sample,
    index: plan.sheet.rows.indexOf(s.row),
    metadata: s.row.metadata,
    configObject: s.configObject,
    imagesAsWritten: s.row.imagesAsWritten,
    baseConfigPath: plan.base.path,
    sampleDir: s.sampleDir,
    configHash: s.configHash,
    version: plan.version,
  }));
  for (const s of toRun) await mkdir(s.sampleDir, { recursive: true });
  const pool = await runSamplesInWorkers(queue, {
    jobs: jobs.jobs,
    timeoutPerSampleS: options.timeoutPerSampleS ?? null,
    onStart: (job) => options.onEvent?.({ type: 'start', sample: job.sample }),
    onProgress: (sample, event) => options.onEvent?.({ type: 'progress', sample, event }),
    onDone: (record) => options.onEvent?.({ type: 'done', record }),
  });
  const failed = pool.records.filter((r) => r.status !== 'ok').map((r) => r.sample);
  const wallMs = Math.round(performance.now() - t0);
  let merge: MergeResult | null = null;
  if (!options.only || options.only.length === 0) {
    merge = await mergeExperiment(plan.resultsDir, {
      runInfo: {
        finishedAt: new Date().toISOString(),
        wallMs,
        jobs,
        timeoutPerSampleS: options.timeoutPerSampleS ?? null,
        force: options.force === true,
        estimatedPeakMiBPerSample: est.bySample,
        workers: { started: pool.workersStarted, peakRssMiB: pool.workerPeakRssMiB },
        samples: plan.samples.map((s) => {
          const r = pool.records.find((x) => x.sample === s.row.sample);
          return { sample: s.row.sample, action: s.run ? 'ran' : 'skipped', reason: s.reason, status: r ? r.status : 'ok (up to date)' };
        }),
      },
    });
  }
  return { resultsDir: plan.resultsDir, ran: pool.records, upToDate, failed, jobs, merge, wallMs };
}
