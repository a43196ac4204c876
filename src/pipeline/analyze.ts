/**
 * `analyzeExistingMasks` (spec 7.1): from cell and marker label images to every table and the
 * positive-cell mask. Used after a run, and on masks edited by hand.
 */
import { valueError } from '../core/errors.js';
import type { LabelVolume, RoiLabels, Volume } from '../core/volume.js';
import type { LabelRuns, RunsOfLabels } from '../core/label-runs.js';
import { sameShape, formatShape } from '../core/volume.js';
import type { ColocalizationConfig, IntensityColocalizationConfig, ModelConfig } from '../config/types.js';
import { filterLabelsBySize } from '../segmentation/size-filter.js';
import { applyPostfilters } from '../segmentation/postfilters.js';
import { hasObjectRemovalRules, reapplyObjectRules } from '../segmentation/declump/reapply.js';
import { buildColocalizationTables, type ColocalizationTables } from '../tables/index.js';
import type { MeasurementMemo } from '../tables/object-measurements.js';
import type { Table } from '../core/table.js';
import { positiveCellMaskLazy } from '../colocalization/positive-mask.js';
import type { LoadedImageChannels } from './load-images.js';
import { isReducedView } from './z-stack.js';
import { shiftRoiBoxColumns, windowOrigin } from './analysis-window.js';

/** One label-deleting step (size filter or postfilter), recorded for the manifest. */
export interface FilterStep {
  channel: 'cell' | 'marker' | 'optional_region';
  step: string;
  nIn: number;
  nOut: number;
  removed: number[];
}

export interface ColocalizationRunResult {
  cellMasks: LabelVolume;
  markerMasks: LabelVolume;
  positiveCellMasks: LabelVolume;
  /** Third-channel labels after z bounds and its postfilters (spec 11, `{stem}_region_mask.tif`); null = no third channel. */
  optionalRegionMasks: LabelVolume | null;
  tables: ColocalizationTables;
  analysisZBounds: [number, number] | null;
  filterSteps: FilterStep[];
}

export interface AnalyzeExistingMasksOptions {
  analysisZBounds?: [number, number] | null;
  /** Exact voxel count per id of `cellMasks` (index 0 = background) from the segmentation: the size filter skips its scan. */
  cellLabelCounts?: Float64Array | null;
  /**
   * The runs of `cellMasks` / `markerMasks` from the segmentation (`core/label-runs.ts`): the size filter, the
   * measurement passes and the label TIFFs skip their scans of these masks (issue 21).
   */
  cellLabelRuns?: LabelRuns | null;
  markerLabelRuns?: LabelRuns | null;
  /** When given, the channel's postfilters are re-applied (fix Q42 for manual re-analysis). */
  cellModelConfig?: ModelConfig | null;
  markerModelConfig?: ModelConfig | null;
  /**
   * Third-channel labels (spec 7.1 step 5; e.g. a previous run's `{stem}_region_mask.tif` for re-analysis):
   * z bounds applied, postfilters of `optionalRegionModelConfig` re-applied when given, then the third-channel
   * tables (and, with `evaluate_optional_region_cell_positivity`, the positivity columns) are built.
   */
  optionalRegionMasks?: LabelVolume | null;
  optionalRegionModelConfig?: ModelConfig | null;
  /** The caller hands the mask arrays over (a fresh run): they are filtered in place instead of copied. */
  ownsMasks?: boolean;
  /**
   * Re-apply each threshold channel's object-removal rules (`exclude_border_objects`,
   * `discard_outside_diameter`) before its postfilters: `reanalyze` of edited masks (issue 18.5).
   */
  reapplyObjectRules?: boolean;
  /** Reuse of unchanged channels' measurement passes across calls (the viewer). */
  measurementMemo?: MeasurementMemo | null;
  /** `intensity_colocalization_config` (issue 19): the intensity sheets when enabled; absent/null = none. */
  intensityColocalization?: IntensityColocalizationConfig | null;
  /**
   * Called once the cell and marker labels are final (z bounds, size filter, object rules and postfilters applied),
   * before the tables are built, with the runs known for them: nothing changes these arrays afterwards, so a run can
   * start encoding their TIFFs while the tables are built (export/tiffs-ahead.ts).
   */
  onMasksFinal?: (cell: LabelVolume, marker: LabelVolume, knownRuns: readonly RunsOfLabels[]) => void;
}

export function analyzeExistingMasks(
  loaded: LoadedImageChannels,
  roiLabels: RoiLabels,
  cellMasks: LabelVolume,
  markerMasks: LabelVolume,
  colocalizationConfig: ColocalizationConfig,
  options: AnalyzeExistingMasksOptions = {},
): ColocalizationRunResult {
  const shape = loaded.cellImage.shape;
  const regionIn = options.optionalRegionMasks ?? null;
  for (const [name, m] of [['cell masks', cellMasks], ['marker masks', markerMasks], ['optional-region masks', regionIn]] as const) {
    if (m && !sameShape(m.shape, shape)) {
      throw valueError(`${name} shape ${formatShape(m.shape)} must equal the image shape ${formatShape(shape)}`);
    }
  }
  // spec 7.1: no z bounds on a projected (or one-plane, Q26) view; else the argument, defaulting to the bundle's crop.
  const zb = isReducedView(loaded) ? null : options.analysisZBounds !== undefined ? options.analysisZBounds : loaded.analysisZBounds;
  let cell = applyZBounds(cellMasks, zb);
  let marker = applyZBounds(markerMasks, zb);
  const filterSteps: FilterStep[] = [];

  const sized = filterLabelsBySize(cell, colocalizationConfig.minCellVoxels, {
    inPlace: options.ownsMasks === true || cell !== cellMasks,
    // The segmentation's counts describe `cellMasks` only while no z bound has copied and cut it.
    counts: cell === cellMasks ? options.cellLabelCounts : null,
    runs: cell === cellMasks ? options.cellLabelRuns : null,
  });
  // the runs of the filtered cell labels (the filter keeps them up to date), and of the untouched marker labels
  let cellRuns = sized.runs ?? null;
  let markerRuns = marker === markerMasks ? (options.markerLabelRuns ?? null) : null;
  const nIn = sized.nIn; // counted by the size filter's pass
  filterSteps.push({
    channel: 'cell',
    step: 'min_cell_voxels',
    nIn,
    nOut: nIn - sized.removed.length,
    removed: sized.removed,
  });
  cell = sized.labels;

  const post = (channel: FilterStep['channel'], labels: LabelVolume, intensity: Volume, config: ModelConfig | null | undefined) => {
    if (options.reapplyObjectRules && hasObjectRemovalRules(config)) {
      const r = reapplyObjectRules(labels, roiLabels, config, loaded.voxelSizeUm);
      for (const s of r.steps) filterSteps.push({ channel, step: s.step, nIn: s.nIn, nOut: s.nOut, removed: s.removed });
      labels = r.labels;
    }
    if (!config || config.postfilters.length === 0) return labels;
    const r = applyPostfilters(labels, intensity, config, { keyPrefix: `${channel}_model_config` });
    for (const s of r.steps) filterSteps.push({ channel, step: s.postfilter, nIn: s.nIn, nOut: s.nOut, removed: s.removed });
    return r.labels;
  };
  // object rules and postfilters change labels (possibly in place): their runs are no longer known
  const changesLabels = (config: ModelConfig | null | undefined) =>
    (options.reapplyObjectRules === true && hasObjectRemovalRules(config)) || (!!config && config.postfilters.length > 0);
  if (changesLabels(options.cellModelConfig)) cellRuns = null;
  if (changesLabels(options.markerModelConfig)) markerRuns = null;
  cell = post('cell', cell, loaded.cellImage, options.cellModelConfig);
  marker = post('marker', marker, loaded.markerImage, options.markerModelConfig);
  const knownRuns: RunsOfLabels[] = [];
  if (cellRuns) knownRuns.push({ data: cell.data, runs: cellRuns });
  if (markerRuns) knownRuns.push({ data: marker.data, runs: markerRuns });
  options.onMasksFinal?.(cell, marker, knownRuns);
  // spec 7.1 step 5: third-channel masks, z-bounded, then its postfilters (which need its intensity image)
  let region = regionIn ? applyZBounds(regionIn, zb) : null;
  if (region && options.reapplyObjectRules && hasObjectRemovalRules(options.optionalRegionModelConfig) && !(options.optionalRegionModelConfig.postfilters.length > 0)) {
    const r = reapplyObjectRules(region, roiLabels, options.optionalRegionModelConfig, loaded.voxelSizeUm);
    for (const s of r.steps) filterSteps.push({ channel: 'optional_region', step: s.step, nIn: s.nIn, nOut: s.nOut, removed: s.removed });
    region = r.labels;
  }
  if (region && options.optionalRegionModelConfig && options.optionalRegionModelConfig.postfilters.length > 0) {
    if (!loaded.optionalRegionImage) {
      throw valueError(
        'optional_region_model_config.postfilters: the third channel\'s postfilters need its image, but channel_config.optional_region_channel is not set',
      );
    }
    region = post('optional_region', region, loaded.optionalRegionImage, options.optionalRegionModelConfig);
  }

  const tables = buildColocalizationTables({
    cellMasks: cell,
    markerMasks: marker,
    cellIntensity: loaded.cellImage,
    markerIntensity: loaded.markerImage,
    roi: roiLabels,
    voxelSizeUm: loaded.voxelSizeUm,
    zBounds: zb,
    colocalization: colocalizationConfig,
    optionalRegionMasks: region,
    optionalRegionIntensity: loaded.optionalRegionImage,
    measurementMemo: options.measurementMemo ?? null,
    intensityColocalization: options.intensityColocalization ?? null,
    coordinateOriginZyx: windowOrigin(loaded.analysisWindow, isReducedView(loaded)),
    knownRuns,
  });
  if (loaded.analysisWindow) shiftRoiBoxColumns(Object.values(tables).filter((t): t is Table => !!t && 'columns' in t), loaded.analysisWindow);
  // built on first read of its data; the TIFF export applies the keep-flags while encoding (core/label-subset.ts)
  const positiveCellMasks = positiveCellMaskLazy(cell, tables.summary);
  return { cellMasks: cell, markerMasks: marker, positiveCellMasks, optionalRegionMasks: region, tables, analysisZBounds: zb, filterSteps };
}

/**
 * The labels with every plane outside `[z0, z1)` zeroed (masks keep the full-stack shape): a copy when
 * bounds are given, the input itself otherwise (every later step copies before it changes anything).
 */
export function applyZBounds(labels: LabelVolume, zb: [number, number] | null): LabelVolume {
  if (!zb) return labels;
  const data = labels.data.slice();
  {
    const plane = labels.shape[1] * labels.shape[2];
    data.fill(0, 0, zb[0] * plane);
    data.fill(0, zb[1] * plane);
  }
  return { data, shape: labels.shape };
}

