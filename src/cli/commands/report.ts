/**
 * `cellcoloc report <results-dir> [--stem S] [-q]` (issue 17): writes `<results-dir>/report.html` for a run's
 * results folder or an experiment folder, from the files alone. Also the end-of-run hook of `run`/`demo`
 * (`writeReportAfterRun`), which never fails a finished run: the results are already written.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { withFolderLock } from '../../export/results-lock.js';
import { threadCpuMs } from '../../core/thread-cpu.js';

/** The report module is imported on demand: no other command pays for it at start-up. */
async function report(dir: string, opts: { stem?: string; quiet?: boolean }, io: Io): Promise<string> {
  const { writeReport } = await import('../../report/index.js');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = threadCpuMs();
  const path = await writeReport(dir, {
    stem: opts.stem || undefined,
    onProgress: opts.quiet ? undefined : (m) => io.err(`cellcoloc: report: ${m}\n`),
  });
  if (process.env.CELLCOLOC_BENCH_STATS) {
    // Wall ms, then CPU ms of the whole process (every thread: zlib inflates on the thread pool) and of the main
    // thread (Linux; -1 elsewhere) while the report was written: figures to compare on a busy machine.
    const cpu = process.cpuUsage(cpu0);
    const main1 = threadCpuMs();
    const main = main0 === null || main1 === null ? -1 : main1 - main0;
    io.err(`CELLCOLOC_REPORT_MS ${(performance.now() - t0).toFixed(1)} cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} main ${main.toFixed(1)}\n`);
  }
  return path;
}

export function register(program: Command, io: Io): void {
  program
    .command('report')
    .description('write report.html (parameters, overlays, plots; for an experiment: conditions, plate, QC, gallery) from a results folder, without re-analysis')
    .argument('<results-dir>', "a run's results folder (with <stem>_run_manifest.json) or an experiment folder (with batch_manifest.json)")
    .option('--stem <stem>', 'which run, when the folder holds the results of several images')
    .option('-q, --quiet', 'no progress output on stderr')
    .action(async (dir: string, opts: { stem?: string; quiet?: boolean }) => {
      // The folder's lock (issue 15.4): a report never reads files that a run, batch or merge is rewriting.
      // (After a run, `writeReportAfterRun` runs inside that run's own lock.)
      const path = await withFolderLock(resolve(dir), `report ${dir}`, (n) => io.err(`cellcoloc: notice: ${n}\n`), () => report(resolve(dir), opts, io));
      io.out(`report: ${path}\n`);
    });
}

/** After a run: the report of its results folder; a failure is a warning (the run's results stand). */
export async function writeReportAfterRun(resultsDir: string, stem: string, io: Io, quiet: boolean): Promise<void> {
  try {
    const path = await report(resultsDir, { stem, quiet }, io);
    io.out(`report: ${path}\n`);
  } catch (err) {
    io.err(`cellcoloc: warning: the report was not written (${(err as Error).message}); the results are complete — retry with: cellcoloc report ${resultsDir}\n`);
  }
}
