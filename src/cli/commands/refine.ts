/**
 * `cellcoloc refine <config>`: masks of the Cellpose channels rebuilt from the network cache of the run's
 * results folder with new thresholds (no network), every table recomputed, the results rewritten there
 * atomically; see `src/pipeline/refine.ts`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { withConfigResultsLock } from '../results-lock.js';
import { loadConfigFile } from '../../config/load-config.js';
import { valueError } from '../../core/errors.js';
import { assertRefinable, runRefineWorkflow } from '../../pipeline/refine.js';
import { runSingleChannelRefineWorkflow } from '../../pipeline/single-channel-refine.js';
import type { Io } from '../io.js';

interface RefineOptions {
  resultsDir?: string;
  cellCellprobThreshold?: number;
  cellFlowThreshold?: number;
  markerCellprobThreshold?: number;
  markerFlowThreshold?: number;
  optionalRegionCellprobThreshold?: number;
  optionalRegionFlowThreshold?: number;
  cellprobThreshold?: number;
  flowThreshold?: number;
  quiet?: boolean;
}

function finite(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag}: expected a number, got ${JSON.stringify(v)}`);
    return n;
  };
}

export function register(program: Command, io: Io): void {
  program
    .command('refine')
    .description(
      'rebuild the Cellpose masks from the cached network outputs of a run with other thresholds (no network), ' +
        'recompute every table and rewrite the results; a threshold not given comes from the config',
    )
    .argument('<config>', 'the config file of the run (its results folder holds <stem>_cellpose_cache/)')
    .option('--results-dir <dir>', 'the run\'s results folder, if not the config\'s (overrides results_dir)')
    .option('--cell-cellprob-threshold <x>', 'cell channel: cell probability threshold (Cellpose logit; lower = more/larger masks)', finite('--cell-cellprob-threshold'))
    .option('--cell-flow-threshold <y>', 'cell channel: flow error threshold (higher = keeps more masks; 0 = no flow check)', finite('--cell-flow-threshold'))
    .option('--marker-cellprob-threshold <x>', 'marker channel: cell probability threshold', finite('--marker-cellprob-threshold'))
    .option('--marker-flow-threshold <y>', 'marker channel: flow error threshold', finite('--marker-flow-threshold'))
    .option('--optional-region-cellprob-threshold <x>', 'third channel (optional_region_model_config): cell probability threshold', finite('--optional-region-cellprob-threshold'))
    .option('--optional-region-flow-threshold <y>', 'third channel: flow error threshold', finite('--optional-region-flow-threshold'))
    .option('--cellprob-threshold <x>', 'single-channel config: the objects\' cell probability threshold', finite('--cellprob-threshold'))
    .option('--flow-threshold <y>', 'single-channel config: the objects\' flow error threshold', finite('--flow-threshold'))
    .option('-q, --quiet', 'no progress output on stderr')
    .action(async (configPath: string, opts: RefineOptions) => {
      const config = await loadConfigFile(configPath, { resultsDir: opts.resultsDir });
      await withConfigResultsLock(config, `refine ${configPath}`, io, async () => {
      const twoChannelFlags = (['cellCellprobThreshold', 'cellFlowThreshold', 'markerCellprobThreshold', 'markerFlowThreshold', 'optionalRegionCellprobThreshold', 'optionalRegionFlowThreshold'] as const)
        .filter((k) => opts[k] !== undefined)
        .map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      // Refuse a threshold-only config before claiming to refine (names the channel that is not Cellpose).
      assertRefinable(config, {
        cellCellprobThreshold: opts.cellCellprobThreshold,
        cellFlowThreshold: opts.cellFlowThreshold,
        markerCellprobThreshold: opts.markerCellprobThreshold,
        markerFlowThreshold: opts.markerFlowThreshold,
        optionalRegionCellprobThreshold: opts.optionalRegionCellprobThreshold,
        optionalRegionFlowThreshold: opts.optionalRegionFlowThreshold,
      });
      if (!opts.quiet) io.err('cellcoloc: refining from the Cellpose cache (no network)\n');
      const t0 = performance.now();
      if (config.singleChannel) {
        if (twoChannelFlags.length > 0) {
          throw valueError(`${config.configPath}: ${twoChannelFlags.join(', ')}: a single-channel config has one channel: use --cellprob-threshold / --flow-threshold`);
        }
        const res = await runSingleChannelRefineWorkflow(config, {
          thresholds: { cellprobThreshold: opts.cellprobThreshold ?? null, flowThreshold: opts.flowThreshold ?? null },
          regionReads: true, // OME-Zarr: only the ROIs' window, as `run` read it
        });
        for (const w of res.warnings) io.err(`cellcoloc: warning: ${w}\n`);
        const r = res.refinement;
        const lines = [`objects: from cache, cellprob_threshold ${r.cellprobThreshold} (${r.thresholdSource.cellprob}), flow_threshold ${r.flowThreshold} (${r.thresholdSource.flow})`, 'ROI  objects'];
        for (const s of res.summary) lines.push(`${String(s.roiId).padStart(3)}  ${String(s.nObjects).padStart(7)}`);
        io.out(`${lines.join('\n')}\nresults: ${res.paths.resultsDir}  (${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
        return;
      }
      if (opts.cellprobThreshold !== undefined || opts.flowThreshold !== undefined) {
        throw valueError(`${config.configPath}: --cellprob-threshold / --flow-threshold are for single-channel configs: use --cell-… / --marker-… / --optional-region-…`);
      }
      const res = await runRefineWorkflow(config, {
        thresholds: {
          cellCellprobThreshold: opts.cellCellprobThreshold ?? null,
          cellFlowThreshold: opts.cellFlowThreshold ?? null,
          markerCellprobThreshold: opts.markerCellprobThreshold ?? null,
          markerFlowThreshold: opts.markerFlowThreshold ?? null,
          optionalRegionCellprobThreshold: opts.optionalRegionCellprobThreshold ?? null,
          optionalRegionFlowThreshold: opts.optionalRegionFlowThreshold ?? null,
        },
        regionReads: true, // OME-Zarr: only the ROIs' window, as `run` read it
      });
      for (const w of res.warnings) io.err(`cellcoloc: warning: ${w}\n`);
      const lines: string[] = [];
      for (const ch of ['cell', 'marker', 'optional_region'] as const) {
        const r = res.result.refinement[ch];
        if (!r) continue;
        lines.push(
          r.source === 'cellpose_cache'
            ? `${ch}: from cache, cellprob_threshold ${r.cellprobThreshold} (${r.thresholdSource.cellprob}), flow_threshold ${r.flowThreshold} (${r.thresholdSource.flow})`
            : `${ch}: ${r.source === 'threshold_resegmentation' ? 're-segmented (threshold method)' : 'kept'}`,
        );
      }
      lines.push('ROI  cells  marker+ cells  marker objects');
      for (const s of res.summary) {
        lines.push(
          `${String(s.roiId).padStart(3)}  ${String(s.nCells).padStart(5)}  ${String(s.nMarkerPositiveCells).padStart(13)}  ${String(s.nMarkerObjects).padStart(14)}`,
        );
      }
      io.out(`${lines.join('\n')}\nresults: ${res.paths.resultsDir}  (${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
      });
    });
}
