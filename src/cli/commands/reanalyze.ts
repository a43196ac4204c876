/**
 * `cellcoloc reanalyze <config> --cell-masks A.tif --marker-masks B.tif`: tables and positive-cell mask
 * recomputed from (edited) label TIFFs, without segmenting; see `src/pipeline/reanalyze.ts`.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load-config.js';
import { reanalyzeWorkflow, type ReanalyzeResult } from '../../pipeline/reanalyze.js';
import { createProgressReporter } from '../progress-reporter.js';
import type { Io } from '../main.js';
import { notSupported } from '../../core/errors.js';

interface ReanalyzeOptions {
  cellMasks?: string;
  markerMasks?: string;
  optionalRegionMasks?: string;
  masks?: string;
  resultsDir?: string;
  quiet?: boolean;
}

export function register(program: Command, io: Io): void {
  program
    .command('reanalyze')
    .description(
      'recompute every table and the positive-cell mask from label TIFFs (e.g. masks corrected in Fiji) without segmenting; ' +
        'min_cell_voxels and the configured postfilters are re-applied, results are exported like a run',
    )
    .argument('<config>', 'the config file of the run (image, channels, ROIs, z settings, filters)')
    .option('--cell-masks <tif>', 'cell label TIFF (integer; the shape a run of this config exports)')
    .option('--marker-masks <tif>', 'marker label TIFF (integer; same shape)')
    .option('--optional-region-masks <tif>', 'third-channel label TIFF (not supported yet)')
    .option('--masks <tif>', 'single-channel workflow: the object label TIFF (not supported yet)')
    .option('--results-dir <dir>', 'write the results here instead of the run\'s results folder (overrides results_dir)')
    .option('-q, --quiet', 'no progress output on stderr')
    .action(async (configPath: string, opts: ReanalyzeOptions, cmd: Command) => {
      const config = await loadConfigFile(configPath, { resultsDir: opts.resultsDir });
      if (opts.masks !== undefined && !config.singleChannel) {
        cmd.error(`error: --masks is for single-channel configs; ${configPath} is a two-channel config (use --cell-masks and --marker-masks)`);
      }
      if (config.singleChannel) {
        // Waits for an analysis entry point of the single-channel workflow (src/pipeline/single-channel*.ts).
        throw notSupported(`${config.configPath}: reanalyze of a single-channel config (--masks) is not supported yet`);
      }
      if (opts.cellMasks === undefined || opts.markerMasks === undefined) {
        cmd.error(`error: reanalyze needs both --cell-masks <tif> and --marker-masks <tif> for the two-channel config ${configPath}`);
      }
      const reporter = createProgressReporter(process.stderr, !!opts.quiet);
      let res: ReanalyzeResult;
      try {
        res = await reanalyzeWorkflow(
          config,
          { cellMasks: opts.cellMasks!, markerMasks: opts.markerMasks!, optionalRegionMasks: opts.optionalRegionMasks ?? null },
          { onProgress: (e) => reporter.onProgress(e) },
        );
      } finally {
        reporter.stop();
      }
      for (const w of res.warnings) io.err(`cellcoloc: warning: ${w}\n`);
      const lines = ['ROI  cells  marker+ cells  marker objects'];
      for (const s of res.summary) {
        lines.push(
          `${String(s.roiId).padStart(3)}  ${String(s.nCells).padStart(5)}  ${String(s.nMarkerPositiveCells).padStart(13)}  ${String(s.nMarkerObjects).padStart(14)}`,
        );
      }
      const removed = res.result.filterSteps.filter((s) => s.removed.length > 0);
      for (const s of removed) io.err(`cellcoloc: ${s.channel} ${s.step} removed ${s.removed.length} label(s): ${s.removed.slice(0, 20).join(', ')}${s.removed.length > 20 ? ', …' : ''}\n`);
      io.out(`${lines.join('\n')}\nresults (re-analysed): ${res.paths.resultsDir}\n`);
    });
}
