/**
 * `cellcoloc reanalyze <config> --cell-masks A.tif --marker-masks B.tif`: tables and positive-cell mask
 * recomputed from (edited) label TIFFs, without segmenting; see `src/pipeline/reanalyze.ts`.
 */
import type { Command } from 'commander';
import { withConfigResultsLock } from '../results-lock.js';
import { loadConfigFile } from '../../config/load-config.js';
import {
  reanalyzeSingleChannelWorkflow,
  reanalyzeWorkflow,
  type ReanalyzeResult,
  type SingleChannelReanalyzeResult,
} from '../../pipeline/reanalyze.js';
import { createProgressReporter } from '../progress-reporter.js';
import type { Io } from '../io.js';

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
    .option('--optional-region-masks <tif>', 'third-channel label TIFF (required when the config segments a third channel; a run writes <stem>_region_mask.tif)')
    .option('--masks <tif>', 'single-channel config: the object label TIFF (instead of --cell-masks / --marker-masks)')
    .option('--results-dir <dir>', 'write the results here instead of the run\'s results folder (overrides results_dir)')
    .option('-q, --quiet', 'no progress output on stderr')
    .action(async (configPath: string, opts: ReanalyzeOptions, cmd: Command) => {
      const config = await loadConfigFile(configPath, { resultsDir: opts.resultsDir });
      await withConfigResultsLock(config, `reanalyze ${configPath}`, io, async () => {
      if (opts.masks !== undefined && !config.singleChannel) {
        cmd.error(`error: --masks is for single-channel configs; ${configPath} is a two-channel config (use --cell-masks and --marker-masks)`);
      }
      if (config.singleChannel) {
        if (opts.masks === undefined || opts.cellMasks !== undefined || opts.markerMasks !== undefined || opts.optionalRegionMasks !== undefined) {
          cmd.error(`error: ${configPath} is a single-channel config: reanalyze needs --masks <tif> (and no --cell-masks / --marker-masks / --optional-region-masks)`);
        }
        const reporter = createProgressReporter(process.stderr, !!opts.quiet);
        let res: SingleChannelReanalyzeResult;
        try {
          res = await reanalyzeSingleChannelWorkflow(config, opts.masks!, { onProgress: (e) => reporter.onProgress(e), regionReads: true });
        } finally {
          reporter.stop();
        }
        for (const w of res.warnings) io.err(`cellcoloc: warning: ${w}\n`);
        reportRemoved(res.result.filterSteps, io);
        const lines = ['ROI  objects'];
        for (const s of res.summary) lines.push(`${String(s.roiId).padStart(3)}  ${String(s.nObjects).padStart(7)}`);
        io.out(`${lines.join('\n')}\nresults (re-analysed): ${res.paths.resultsDir}\n`);
        return;
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
          { onProgress: (e) => reporter.onProgress(e), regionReads: true }, // OME-Zarr: the ROIs' window only
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
      reportRemoved(res.result.filterSteps, io);
      io.out(`${lines.join('\n')}\nresults (re-analysed): ${res.paths.resultsDir}\n`);
      });
    });
}

/** The labels each filter removed from the given masks (edited masks: the user wants to know). */
function reportRemoved(steps: readonly { channel: string; step: string; removed: readonly number[] }[], io: Io): void {
  for (const s of steps) {
    if (s.removed.length === 0) continue;
    io.err(`cellcoloc: ${s.channel} ${s.step} removed ${s.removed.length} label(s): ${s.removed.slice(0, 20).join(', ')}${s.removed.length > 20 ? ', …' : ''}\n`);
  }
}
