/**
 * Experiment commands (issue 14): `cellcoloc batch` (a sample sheet → per-sample results + merged tables),
 * `cellcoloc merge` (rebuild the merged tables from the sample folders) and `cellcoloc sheet` (a sample sheet from
 * file names). See docs/experiments.md.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { withFolderLock, withResultsLock } from '../../export/results-lock.js';
import type { MergeResult } from '../../experiment/merge.js';
import { writeReportAfterRun } from './report.js';
import type { Io } from '../io.js';

/**
 * The experiment modules (batch runner and worker pool, merge, sheet builders, Snakemake export; tinyglobby, csv-parse,
 * the OME-Zarr plate reader) are loaded by these commands only: `run` does not parse them at start-up (issue 21).
 */
async function experimentModules() {
  const [batch, merge, sheetFiles, plate, snakemake, progress] = await Promise.all([
    import('../../experiment/batch.js'),
    import('../../experiment/merge.js'),
    import('../../experiment/sheet-from-files.js'),
    import('../../experiment/plate-sheet.js'),
    import('../../experiment/snakemake.js'),
    import('../batch-progress.js'),
  ]);
  return {
    ExperimentProblems: batch.ExperimentProblems,
    runBatch: batch.runBatch,
    mergeExperiment: merge.mergeExperiment,
    MERGED_FILES: merge.MERGED_FILES,
    sheetDirOf: sheetFiles.sheetDirOf,
    sheetFromFiles: sheetFiles.sheetFromFiles,
    isPlateStore: plate.isPlateStore,
    plateSheet: plate.plateSheet,
    emitSnakemake: snakemake.emitSnakemake,
    createBatchReporter: progress.createBatchReporter,
  };
}

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < 1) throw new InvalidArgumentError(`${flag}: expected a whole number ≥ 1, got ${JSON.stringify(v)}`);
    return n;
  };
}

function positiveSeconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--timeout-per-sample: expected seconds > 0, got ${JSON.stringify(v)}`);
  return n;
}

function sampleList(v: string, prev: string[] = []): string[] {
  const names = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new InvalidArgumentError(`--only: expected sample names separated by commas, got ${JSON.stringify(v)}`);
  return [...prev, ...names];
}

interface BatchCliOptions {
  config: string;
  resultsDir?: string;
  jobs?: number;
  force?: boolean;
  quiet?: boolean;
  only?: string[];
  timeoutPerSample?: number;
  report: boolean;
  emitSnakemake?: boolean;
  samplesPerJob?: number;
}

const notice = (io: Io) => (n: string) => io.err(`cellcoloc: notice: ${n}\n`);

function mergeLines(m: MergeResult, io: Io): void {
  for (const n of m.notes) io.err(`cellcoloc: note: ${n}\n`);
}

export function register(program: Command, io: Io): void {
  program
    .command('batch')
    .description('analyse every sample of a sample sheet with one base config: per-sample results, merged tables, resumable (docs/experiments.md)')
    .argument('<samples.csv>', 'sample sheet: sample, image or channel_0.., metadata columns, config.<section>.<field> overrides; or an OME-Zarr HCS plate (one sample per well field)')
    .requiredOption('--config <base.yaml>', 'base config: everything but image (results_dir optional)')
    .option('--results-dir <dir>', 'experiment folder (default: the base config\'s results_dir, else <sheet>_results beside the sheet)')
    .option('--jobs <n>', 'worker processes (default: the number of cores, lowered to fit the estimated memory per sample)', positiveInt('--jobs'))
    .option('--force', 'rerun every sample, also those whose done.json is up to date')
    .option('--only <s1,s2>', 'run only these samples (e.g. one cluster job); the merged tables are left to `cellcoloc merge`', sampleList)
    .option('--timeout-per-sample <s>', 'kill a sample that runs longer than this many seconds (it fails alone)', positiveSeconds)
    .option('--no-report', 'do not write the experiment report (DIR/report.html)')
    .option('-q, --quiet', 'no progress output on stderr')
    .option('--emit-snakemake', 'validate the sheet, run nothing, write DIR/workflow/ (Snakefile, config, SLURM profile) for snakemake')
    .option('--samples-per-job <n>', 'with --emit-snakemake: samples per cluster job (default: ≈ 10 minutes of estimated work)', positiveInt('--samples-per-job'))
    .action(async (sheet: string, opts: BatchCliOptions) => {
      if (opts.emitSnakemake) return emitWorkflow(sheet, opts, io);
      const { ExperimentProblems, runBatch, MERGED_FILES, createBatchReporter } = await experimentModules();
      if (opts.samplesPerJob !== undefined) throw new Error('--samples-per-job: only with --emit-snakemake');
      const reporter = createBatchReporter(process.stderr, !!opts.quiet);
      let result;
      try {
        result = await runBatch({
          sheet,
          baseConfig: opts.config,
          resultsDir: opts.resultsDir ?? null,
          jobs: opts.jobs ?? null,
          force: !!opts.force,
          only: opts.only ?? null,
          timeoutPerSampleS: opts.timeoutPerSample ?? null,
          onEvent: (e) => reporter.onEvent(e),
          onNotice: (n) => io.err(`cellcoloc: notice: ${n}\n`),
        });
      } catch (err) {
        reporter.stop();
        if (err instanceof ExperimentProblems) {
          for (const p of err.problems) io.err(`cellcoloc: error: ${p}\n`);
        }
        throw err;
      }
      reporter.stop();
      const ok = result.ran.filter((r) => r.status === 'ok').length;
      const failed = result.failed.length;
      // One line per outcome.
      io.err(`cellcoloc: ${ok} sample${ok === 1 ? '' : 's'} succeeded\n`);
      if (result.upToDate.length > 0) io.err(`cellcoloc: ${result.upToDate.length} sample${result.upToDate.length === 1 ? '' : 's'} up to date (skipped; --force reruns them)\n`);
      if (failed > 0) io.err(`cellcoloc: ${failed} sample${failed === 1 ? '' : 's'} failed: ${result.failed.join(', ')} (see ${result.merge ? resolve(result.resultsDir, MERGED_FILES.failures) : 'their done.json; `cellcoloc merge` lists them in failures.csv'})\n`);
      if (result.merge) mergeLines(result.merge, io);
      io.out(`results: ${result.resultsDir}  (${(result.wallMs / 1000).toFixed(2)} s)\n`);
      // The experiment report (issue 17) after the merge; `--only` jobs leave it to `cellcoloc merge`.
      if (opts.report && result.merge) {
        await withResultsLock(result.resultsDir, `report ${result.resultsDir}`, notice(io), () => writeReportAfterRun(result.resultsDir, '', io, !!opts.quiet));
      }
      if (failed > 0) throw new BatchFailed(failed);
    });

  program
    .command('merge')
    .description('rebuild the merged tables, failures.csv and batch_manifest.json of an experiment folder from its sample folders')
    .argument('<dir>', 'experiment folder written by `cellcoloc batch`')
    .option('--no-report', 'do not write the experiment report')
    .option('-q, --quiet', 'no progress output on stderr')
    .action(async (dir: string, opts: { report: boolean; quiet?: boolean }) => {
      const t0 = performance.now();
      // The experiment folder's lock (issue 15.4): never beside a batch, another merge or a report of it.
      await withFolderLock(resolve(dir), `merge ${dir}`, notice(io), async () => {
        const { mergeExperiment } = await experimentModules();
        const m = await mergeExperiment(resolve(dir));
        mergeLines(m, io);
        const failed = m.samples.filter((s) => s.status !== 'ok');
        io.err(`cellcoloc: merged ${m.samples.length - failed.length} sample${m.samples.length - failed.length === 1 ? '' : 's'} (${m.rows.summary} ROI rows, ${m.rows.cells} cell rows); ${failed.length} in failures.csv\n`);
        io.out(`results: ${resolve(dir)}  (${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
        if (opts.report) await writeReportAfterRun(resolve(dir), '', io, !!opts.quiet);
      });
    });

  program
    .command('sheet')
    .description('write a sample sheet from file names (review and edit it, then run `cellcoloc batch`)')
    .argument('<glob>', 'files, e.g. "images/*.tif" (quote it so that the shell does not expand it), or an OME-Zarr HCS plate (one sample per well field)')
    .option('--name-pattern <regex>', 'regular expression over the file name: named groups become columns; (?<channel>…) stacks files into one sample')
    .option('-o, --output <file>', 'write the sheet here (default: stdout); paths in it are relative to its folder')
    .option('-f, --force', 'overwrite an existing output file')
    .action(async (pattern: string, opts: { namePattern?: string; output?: string; force?: boolean }) => {
      const out = opts.output ? resolve(opts.output) : null;
      const { isPlateStore, plateSheet, sheetDirOf, sheetFromFiles } = await experimentModules();
      if (out && !opts.force) {
        const { existsSync } = await import('node:fs');
        if (existsSync(out)) throw new Error(`${out} already exists (use --force to overwrite)`);
      }
      if (await isPlateStore(resolve(pattern))) {
        const p = await plateSheet(resolve(pattern), sheetDirOf(out));
        if (out) {
          await writeFileAtomic(out, p.csv);
          io.err(`cellcoloc: ${p.samples} sample${p.samples === 1 ? '' : 's'} (well fields) from plate ${p.plateName}; columns sample, image, plate, row, column, well, field\n`);
          io.out(`wrote ${out}\nreview it (add e.g. a condition column), then run: cellcoloc batch ${opts.output} --config <base.yaml>\n`);
        } else io.out(p.csv);
        return;
      }
      const g = await sheetFromFiles({ pattern, namePattern: opts.namePattern ?? null, sheetDir: sheetDirOf(out) });
      if (out) {
        await writeFileAtomic(out, g.csv);
        io.err(`cellcoloc: ${g.samples} sample${g.samples === 1 ? '' : 's'} from ${g.files} file${g.files === 1 ? '' : 's'}; columns ${g.columns.join(', ')}\n`);
        io.out(`wrote ${out}\nreview it, then run: cellcoloc batch ${opts.output} --config <base.yaml>\n`);
      } else io.out(g.csv);
    });
}

async function emitWorkflow(sheet: string, opts: BatchCliOptions, io: Io): Promise<void> {
  const { ExperimentProblems, emitSnakemake } = await experimentModules();
  let r;
  try {
    r = await emitSnakemake({
      sheet,
      baseConfig: opts.config,
      resultsDir: opts.resultsDir ?? null,
      only: opts.only ?? null,
      force: !!opts.force,
      timeoutPerSampleS: opts.timeoutPerSample ?? null,
      samplesPerJob: opts.samplesPerJob ?? null,
      jobs: opts.jobs ?? null,
      report: opts.report,
    });
  } catch (err) {
    if (err instanceof ExperimentProblems) for (const p of err.problems) io.err(`cellcoloc: error: ${p}\n`);
    throw err;
  }
  const n = r.chunks.reduce((a, c) => a + c.samples.length, 0);
  if (!opts.quiet) {
    io.err(`cellcoloc: ${n} sample${n === 1 ? '' : 's'} in ${r.chunks.length} job${r.chunks.length === 1 ? '' : 's'} of up to ${r.samplesPerJob} (${r.samplesPerJobReason})\n`);
    if (r.unestimated.length > 0) io.err(`cellcoloc: note: no resource estimate (unreadable image header) for ${r.unestimated.join(', ')}: they will fail in their job and be listed in failures.csv\n`);
  }
  io.out(
    `wrote ${r.workflowDir}/ (Snakefile, config.yaml, scripts/, profiles/slurm/)\n` +
      `run locally:  snakemake --snakefile ${r.snakefile} --cores N\n` +
      `run on SLURM: snakemake --snakefile ${r.snakefile} --profile ${r.profileDir}\n`,
  );
}

/** Some samples failed: exit 1 after the others finished (their lines were printed already). */
export class BatchFailed extends Error {
  readonly silent = true;
  constructor(readonly failed: number) {
    super(`${failed} sample${failed === 1 ? '' : 's'} failed`);
  }
}
