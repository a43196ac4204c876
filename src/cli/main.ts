/**
 * The `cellcoloc` command. The only module that touches process.* (argv, stderr, exit codes).
 */
import { readFileSync, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve, relative, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isCellColocError } from '../core/errors.js';
import { loadConfigFile } from '../config/load-config.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { withConfigResultsLock } from './results-lock.js';
import { checkMemoryBudget } from '../pipeline/memory-guard.js';
import { runWorkflow, type WorkflowResult } from '../pipeline/workflow.js';
import { createProgressReporter } from './progress-reporter.js';
import { register as registerInit } from './commands/init.js';
import type { Io } from './io.js';
import { register as registerReanalyze } from './commands/reanalyze.js';
import { register as registerRefine } from './commands/refine.js';
import { register as registerView, serveUntilInterrupted } from './commands/view.js';
import { register as registerSnapshot } from './commands/snapshot.js';
import { register as registerExperiment, BatchFailed } from './commands/experiment.js';
import { register as registerReport, writeReportAfterRun } from './commands/report.js';
import { runSingleChannelAndReport } from './single-channel-report.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The demo config shipped inside the package (CellProfiler ExampleHuman HT29, CC0). */
export function demoConfigPath(): string {
  return join(packageRoot, 'data', 'demo', 'ht29_demo.yaml');
}

export type { Io };

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = new Command();
  program
    .name('cellcoloc')
    .description('Object-based colocalization of cells and marker objects in 2D/3D fluorescence microscopy images.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('run')
    .description('run the whole workflow (load → segment → tables → export) from a YAML or JSON config file')
    .argument('<config>', 'config file (.yaml, .yml or .json); `cellcoloc init` writes a commented example')
    .option('--results-dir <dir>', 'write the results here instead of results/ beside the image (overrides results_dir)')
    .option('-q, --quiet', 'no progress output on stderr')
    .option('--view', 'open the browser viewer on the results after the run (serves until Ctrl-C)')
    .option('--no-open', 'with --view: only print the viewer URL, do not open a browser')
    .option('--no-report', 'do not write report.html at the end (cellcoloc report DIR writes it later)')
    .option('--max-memory <GB>', 'refuse the run when its estimated peak memory exceeds this many GiB (overrides runtime_config.max_memory_gb)', parseGb)
    .action(async (configPath: string, opts: { resultsDir?: string; quiet?: boolean; view?: boolean; open: boolean; report: boolean; maxMemory?: number }) => {
      const config = await loadConfigFile(configPath, { resultsDir: opts.resultsDir });
      await checkMemoryBudget(config, opts.maxMemory);
      await withConfigResultsLock(config, `run ${configPath}`, io, () => runAndReport(config, io, !!opts.quiet, opts.report));
      if (opts.view) await serveUntilInterrupted(configPath, { resultsDir: opts.resultsDir, open: opts.open }, io);
    });

  program
    .command('demo')
    .description('run the workflow on the example data shipped with the package (HT29 nuclei + pH3 mitosis marker, CC0)')
    .option('--results-dir <dir>', 'where to write the results', 'cellcoloc-demo-results')
    .option('-q, --quiet', 'no progress output on stderr')
    .option('--no-report', 'do not write report.html at the end')
    .action(async (opts: { resultsDir: string; quiet?: boolean; report: boolean }) => {
      const cfgPath = demoConfigPath();
      if (!existsSync(cfgPath)) throw new Error(`demo data missing from the package: ${cfgPath}`);
      const config = await loadConfigFile(cfgPath, { resultsDir: resolve(opts.resultsDir) });
      io.err(`cellcoloc: demo on CellProfiler ExampleHuman HT29 (DNA = cells, pH3 = marker; CC0)\n`);
      await checkMemoryBudget(config);
      await withConfigResultsLock(config, 'demo', io, () => runAndReport(config, io, !!opts.quiet, opts.report));
    });

  registerInit(program, io);
  registerReanalyze(program, io);
  registerRefine(program, io);
  registerView(program, io);
  registerSnapshot(program, io);
  registerExperiment(program, io);
  registerReport(program, io);

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit with code 0; usage errors were already printed by commander.
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    // A batch with failed samples printed them already (and finished the others): exit 1 without another line.
    if (err instanceof BatchFailed) return 1;
    const msg = err instanceof Error ? err.message : String(err);
    io.err(`cellcoloc: error: ${oneLine(msg)}\n`);
    if (process.env.CELLCOLOC_DEBUG && err instanceof Error && err.stack && !isCellColocError(err)) io.err(err.stack + '\n');
    return 1;
  }
}

/** `--max-memory` value: GiB, a number from 0.1 to 1e6. */
function parseGb(v: string): number {
  const n = Number(v);
  if (!(n >= 0.1 && n <= 1e6)) throw new InvalidArgumentError(`expected a number of GiB from 0.1 to 1000000, got ${JSON.stringify(v)}`);
  return n;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

async function runAndReport(config: Parameters<typeof runWorkflow>[0], io: Io, quiet: boolean, withReport = true): Promise<WorkflowResult | null> {
  // A config with single_channel_config runs the single-channel counting workflow (spec 13).
  if (config.singleChannel) {
    const sc = await runSingleChannelAndReport(config, io, quiet);
    if (process.env.CELLCOLOC_BENCH_STATS) {
      io.err(`CELLCOLOC_BENCH_STATS ${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, timings: sc.timings })}\n`);
    }
    if (withReport) await writeReportAfterRun(sc.paths.resultsDir, sc.paths.stem, io, quiet);
    return null;
  }
  const reporter = createProgressReporter(process.stderr, quiet);
  let res: WorkflowResult;
  try {
    res = await runWorkflow(config, { onProgress: (e) => reporter.onProgress(e), regionReads: true });
  } finally {
    reporter.stop();
  }
  for (const w of res.warnings) io.err(`cellcoloc: warning: ${w}\n`);
  const lines = ['ROI  cells  marker+ cells  marker objects'];
  for (const s of res.summary) {
    lines.push(
      `${String(s.roiId).padStart(3)}  ${String(s.nCells).padStart(5)}  ${String(s.nMarkerPositiveCells).padStart(13)}  ${String(
        s.nMarkerObjects,
      ).padStart(14)}`,
    );
  }
  const total = res.timings.reduce((a, t) => a + t.ms, 0);
  io.out(`${lines.join('\n')}\nresults: ${res.paths.resultsDir}  (${(total / 1000).toFixed(2)} s)\n`);
  if (process.env.CELLCOLOC_BENCH_STATS) {
    // For `npm run bench`: peak RSS of this whole process (KiB) and the stage timings.
    io.err(`CELLCOLOC_BENCH_STATS ${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, timings: res.timings })}\n`);
  }
  if (withReport) await writeReportAfterRun(res.paths.resultsDir, res.paths.stem, io, quiet);
  return res;
}
