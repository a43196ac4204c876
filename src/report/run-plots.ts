/**
 * The plots of a single-run report as data (plot-spec.ts): cell sizes against `min_cell_voxels`, the best
 * overlap per cell against `overlap_fraction_threshold` and `min_overlap_voxels` (how the positivity rule cuts
 * the population), marker intensity against overlap, the third channel's double positives, single-channel
 * object sizes, and issue 19's intensity-correlation distributions when the run wrote them.
 */
import { boolColumn, hasColumn, numberColumn, type CsvTable } from './csv-table.js';
import { binValues, COLORS, sampleIndices, type Datum, type PlotSpec } from './plot-spec.js';
import { runFacts, type RunFolder } from './run-folder.js';

/** Scatter plots draw at most this many points (every positive cell, a stride sample of the rest). */
export const MAX_SCATTER_POINTS = 4000;

export interface DisplayNames {
  cell: string;
  marker: string;
  region: string;
}

export function displayNames(run: RunFolder): DisplayNames {
  const d = (run.manifest.config.display_names ?? {}) as Record<string, string>;
  return { cell: d.cell || 'cells', marker: d.marker || 'marker', region: d.optional_region || 'third channel' };
}

/** Per-cell mean marker intensity by cell label (measured from the image and the cell mask; thumbnail.ts). */
export type CellIntensities = Map<number, number>;

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString());

export function runPlots(run: RunFolder, intensities: CellIntensities | null): PlotSpec[] {
  const plan = planRunPlots(run);
  const spec = intensities ? plan.intensityPlot(intensities) : null;
  return spec ? [...plan.specs.slice(0, plan.intensityAt), spec, ...plan.specs.slice(plan.intensityAt)] : plan.specs;
}

/**
 * The plots in two parts, so that a report can render every plot that needs only the tables while the image
 * and the cell mask are still being decoded: `specs` (all but the marker-intensity plot) and, once the per-cell
 * means are measured, `intensityPlot`, which goes at index `intensityAt` of `specs`.
 */
export interface RunPlotPlan {
  specs: PlotSpec[];
  intensityAt: number;
  intensityPlot: (intensities: CellIntensities) => PlotSpec | null;
}

export function planRunPlots(run: RunFolder): RunPlotPlan {
  return run.kind === 'single_channel' ? { specs: singleChannelPlots(run), intensityAt: 0, intensityPlot: () => null } : colocalizationPlots(run);
}

function colocalizationPlots(run: RunFolder): RunPlotPlan {
  const cs = run.tables.get('cell_summary')!;
  const facts = runFacts(run);
  const names = displayNames(run);
  const cc = (run.manifest.config.colocalization_config ?? {}) as Record<string, number>;
  const plots: PlotSpec[] = [];
  const roi = numberColumn(cs, 'roi_id');
  const label = numberColumn(cs, 'cell_label');
  const positive = boolColumn(cs, 'marker_positive');
  const posName = `${names.marker}+`;
  const negName = `${names.marker}−`;
  const posOf = (i: number) => (positive[i] ? posName : negName);
  const posColor = { field: 'group', label: 'cell', domain: [negName, posName], range: [COLORS.negative, COLORS.positive] };

  // 1. Cell sizes (each cell once: a cell touching two ROIs has a row per ROI with the same whole-label size).
  const sizeCol = facts.is3d ? 'cell_volume_um3_3d' : 'cell_area_um2_2d';
  const size = hasColumn(cs, sizeCol) ? numberColumn(cs, sizeCol) : numberColumn(cs, 'cell_voxels_props').map((v) => v * facts.voxelMeasure);
  const seen = new Set<number>();
  const once = size.map((v, i) => (seen.has(label[i]) ? NaN : (seen.add(label[i]), v)));
  const minCell = cc.min_cell_voxels;
  const minCellMeasure = Number.isFinite(minCell) ? minCell * facts.voxelMeasure : NaN;
  const sizeBins = binValues(once, { bins: 40, include: Number.isFinite(minCellMeasure) ? [minCellMeasure] : [], groupOf: posOf, groups: [negName, posName], min: 0 });
  plots.push({
    kind: 'histogram',
    id: 'cell-size',
    title: `${names.cell}: ${facts.is3d ? 'volume' : 'area'} per cell`,
    caption: `${sizeBins.n} cells; cells smaller than min_cell_voxels (${minCell} voxels = ${fmt(minCellMeasure)} ${facts.sizeUnit}) were deleted before the tables${removedNote(run, 'min_cell_voxels')}.`,
    x: { field: 'x0', label: `${facts.is3d ? 'volume' : 'area'} (${facts.sizeUnit})` },
    yLabel: 'cells',
    color: posColor,
    data: sizeBins.rows,
    n: sizeBins.n,
    rules: Number.isFinite(minCellMeasure) ? [{ axis: 'x', value: minCellMeasure, label: `min_cell_voxels = ${minCell} (${fmt(minCellMeasure)} ${facts.sizeUnit})` }] : [],
  });

  // 2–3. Where the positivity rule cuts: the best (or union) overlap per (ROI, cell) row.
  const union = facts.positivityRule === 'union' && hasColumn(cs, 'union_overlap_fraction');
  const fracCol = union ? 'union_overlap_fraction' : 'best_overlap_fraction';
  const voxCol = union ? 'union_overlap_voxels' : 'best_overlap_voxels';
  const frac = numberColumn(cs, fracCol);
  const vox = numberColumn(cs, voxCol);
  const fracThr = cc.overlap_fraction_threshold;
  const voxThr = cc.min_overlap_voxels;
  const overlapping = frac.map((v, i) => (vox[i] > 0 ? v : NaN));
  const nNone = frac.length - overlapping.filter(Number.isFinite).length;
  const fracBins = binValues(overlapping, { bins: 40, include: [0, fracThr].filter(Number.isFinite), groupOf: posOf, groups: [negName, posName] });
  const what = union ? 'union of the marker objects in the cell' : 'best single marker object';
  plots.push({
    kind: 'histogram',
    id: 'overlap-fraction',
    title: `Overlap fraction of the ${what}`,
    caption: `${fracBins.n} of ${frac.length} (ROI, cell) rows overlap a marker object (${nNone} overlap none and are not shown). A cell is ${posName} when the overlap covers ≥ overlap_fraction_threshold of the cell and ≥ min_overlap_voxels voxels (positivity_rule: ${facts.positivityRule}).`,
    x: { field: 'x0', label: `${fracCol} (of the cell's voxels in the ROI)` },
    yLabel: 'cells',
    color: posColor,
    data: fracBins.rows,
    n: fracBins.n,
    rules: Number.isFinite(fracThr) ? [{ axis: 'x', value: fracThr, label: `overlap_fraction_threshold = ${fracThr}` }] : [],
  });
  const idx = sampleIndices(cs.rows.length, MAX_SCATTER_POINTS, (i) => positive[i] === 1);
  const points: Datum[] = idx.map((i) => ({ roi_id: roi[i], cell_label: label[i], [voxCol]: vox[i], [fracCol]: frac[i], group: posOf(i) }));
  plots.push({
    kind: 'scatter',
    id: 'overlap-rule',
    title: 'The positivity rule: overlap voxels × overlap fraction',
    caption: `One point per (ROI, cell) row${idx.length < cs.rows.length ? ` (${idx.length} of ${cs.rows.length} drawn: every ${posName} cell and an even sample of the rest)` : ''}; ${posName} cells lie right of min_overlap_voxels and above overlap_fraction_threshold.`,
    x: { field: voxCol, label: `${voxCol} (voxels, symlog)`, type: 'symlog' },
    y: { field: fracCol, label: fracCol },
    color: posColor,
    data: points,
    tooltip: ['roi_id', 'cell_label', voxCol, fracCol, 'group'],
    rules: [
      ...(Number.isFinite(voxThr) ? [{ axis: 'x' as const, value: voxThr, label: `min_overlap_voxels = ${voxThr}` }] : []),
      ...(Number.isFinite(fracThr) ? [{ axis: 'y' as const, value: fracThr, label: `overlap_fraction_threshold = ${fracThr}` }] : []),
    ],
  });

  // 4. Marker intensity in the cell vs overlap (added by the caller once the cells' means are measured).
  const intensityAt = plots.length;
  const intensityPlot = (intensities: CellIntensities): PlotSpec => {
    const pts: Datum[] = [];
    for (const i of idx) {
      const m = intensities.get(label[i]);
      if (m === undefined) continue;
      pts.push({ roi_id: roi[i], cell_label: label[i], marker_mean_intensity: round4(m), [fracCol]: frac[i], group: posOf(i) });
    }
    return {
      kind: 'scatter',
      id: 'marker-intensity',
      title: `${names.marker} intensity in each cell vs overlap fraction`,
      caption: `Mean raw ${names.marker} intensity over each cell's voxels (read from the image and the cell mask), against the overlap fraction that decided positivity.`,
      x: { field: fracCol, label: fracCol },
      y: { field: 'marker_mean_intensity', label: `mean ${names.marker} intensity in the cell` },
      color: posColor,
      data: pts,
      tooltip: ['roi_id', 'cell_label', 'marker_mean_intensity', fracCol, 'group'],
      rules: Number.isFinite(fracThr) ? [{ axis: 'x', value: fracThr, label: `overlap_fraction_threshold = ${fracThr}` }] : [],
    };
  };

  // 5–6. Third channel: its own overlap distribution and the double positives.
  if (facts.thirdChannelPositivity) plots.push(...thirdChannelPlots(cs, names, fracCol, fracThr, voxThr, posName));
  plots.push(...intensityColocalizationPlots(run));
  return { specs: plots, intensityAt, intensityPlot };
}

function thirdChannelPlots(cs: CsvTable, names: DisplayNames, fracCol: string, fracThr: number, voxThr: number, posName: string): PlotSpec[] {
  const rFrac = numberColumn(cs, 'best_optional_region_overlap_fraction');
  const rVox = numberColumn(cs, 'best_optional_region_overlap_voxels');
  const rPos = boolColumn(cs, 'optional_region_positive');
  const mPos = boolColumn(cs, 'marker_positive');
  const mFrac = numberColumn(cs, fracCol);
  const roi = numberColumn(cs, 'roi_id');
  const label = numberColumn(cs, 'cell_label');
  const rPosName = `${names.region}+`;
  const rNegName = `${names.region}−`;
  const hist = binValues(
    rFrac.map((v, i) => (rVox[i] > 0 ? v : NaN)),
    { bins: 40, include: [0, fracThr].filter(Number.isFinite), groupOf: (i) => (rPos[i] ? rPosName : rNegName), groups: [rNegName, rPosName] },
  );
  const classes = ['neither', `${posName} only`, `${rPosName} only`, 'double positive'];
  const cls = (i: number) => classes[(mPos[i] ? 1 : 0) + (rPos[i] ? 2 : 0)];
  const idx = sampleIndices(cs.rows.length, MAX_SCATTER_POINTS, (i) => mPos[i] === 1 || rPos[i] === 1);
  return [
    {
      kind: 'histogram',
      id: 'region-overlap-fraction',
      title: `${names.region}: overlap fraction of the best object`,
      caption: `${hist.n} of ${rFrac.length} (ROI, cell) rows overlap a ${names.region} object; the same thresholds as for the marker decide ${rPosName}.`,
      x: { field: 'x0', label: 'best_optional_region_overlap_fraction' },
      yLabel: 'cells',
      color: { field: 'group', label: 'cell', domain: [rNegName, rPosName], range: [COLORS.negative, COLORS.region] },
      data: hist.rows,
      n: hist.n,
      rules: Number.isFinite(fracThr) ? [{ axis: 'x', value: fracThr, label: `overlap_fraction_threshold = ${fracThr}` }] : [],
    },
    {
      kind: 'scatter',
      id: 'double-positive',
      title: `Double positives: ${names.marker} and ${names.region} overlap per cell`,
      caption: `One point per (ROI, cell) row; double positives (marker_and_optional_region_positive) are above and right of overlap_fraction_threshold on both axes (and pass min_overlap_voxels = ${voxThr} for both).`,
      x: { field: fracCol, label: `${fracCol} (${names.marker})` },
      y: { field: 'best_optional_region_overlap_fraction', label: `best_optional_region_overlap_fraction (${names.region})` },
      color: { field: 'group', label: 'cell', domain: classes, range: [COLORS.negative, COLORS.positive, COLORS.region, COLORS.double] },
      data: idx.map((i) => ({ roi_id: roi[i], cell_label: label[i], [fracCol]: mFrac[i], best_optional_region_overlap_fraction: rFrac[i], group: cls(i) })),
      tooltip: ['roi_id', 'cell_label', fracCol, 'best_optional_region_overlap_fraction', 'group'],
      rules: Number.isFinite(fracThr)
        ? [
            { axis: 'x', value: fracThr, label: `overlap_fraction_threshold = ${fracThr}` },
            { axis: 'y', value: fracThr, label: `overlap_fraction_threshold = ${fracThr}` },
          ]
        : [],
    },
  ];
}

function singleChannelPlots(run: RunFolder): PlotSpec[] {
  const t = run.tables.get('single_channel_objects')!;
  const facts = runFacts(run);
  const minObj = (run.manifest.config.analysis_config ?? {}).min_object_voxels as number | undefined;
  const col = facts.is3d ? 'object_volume_um3_3d' : 'object_area_um2_2d';
  const size = numberColumn(t, col);
  const seen = new Set<number>();
  const label = numberColumn(t, 'object_label');
  const once = size.map((v, i) => (seen.has(label[i]) ? NaN : (seen.add(label[i]), v)));
  const minM = Number.isFinite(minObj) ? (minObj as number) * facts.voxelMeasure : NaN;
  const bins = binValues(once, { bins: 40, include: Number.isFinite(minM) ? [minM] : [], min: 0 });
  const plots: PlotSpec[] = [
    {
      kind: 'histogram',
      id: 'object-size',
      title: `Objects: ${facts.is3d ? 'volume' : 'area'} per object`,
      caption: `${bins.n} objects; objects smaller than min_object_voxels (${minObj ?? '—'} voxels${Number.isFinite(minM) ? ` = ${fmt(minM)} ${facts.sizeUnit}` : ''}) were removed${removedNote(run, 'min_object_voxels')}.`,
      x: { field: 'x0', label: `${facts.is3d ? 'volume' : 'area'} (${facts.sizeUnit})` },
      yLabel: 'objects',
      data: bins.rows,
      n: bins.n,
      rules: Number.isFinite(minM) ? [{ axis: 'x', value: minM, label: `min_object_voxels = ${minObj} (${fmt(minM)} ${facts.sizeUnit})` }] : [],
    },
  ];
  if (hasColumn(t, 'object_mean_intensity')) {
    const b = binValues(numberColumn(t, 'object_mean_intensity'), { bins: 40 });
    plots.push({
      kind: 'histogram',
      id: 'object-intensity',
      title: 'Objects: mean intensity',
      caption: `${b.n} objects; mean raw intensity of the channel over each object.`,
      x: { field: 'x0', label: 'object_mean_intensity' },
      yLabel: 'objects',
      data: b.rows,
      n: b.n,
    });
  }
  return plots;
}

/**
 * Columns of issue 19's per-cell table (docs/intensity-colocalization.md) shown as distributions: Pearson's r and
 * Manders' M1/M2 (cell ↔ marker), the Costes-thresholded M1/M2 when computed, and Pearson's r of the
 * third-channel pairs.
 */
const COEFFICIENT = /^((cell|marker)_optional_region_)?pearson$|^(manders|costes)_m[12]$/;

function intensityColocalizationPlots(run: RunFolder): PlotSpec[] {
  const t = run.intensity.cell;
  if (!t) return [];
  const plots: PlotSpec[] = [];
  for (const col of t.columns) {
    if (!COEFFICIENT.test(col)) continue;
    const v = numberColumn(t, col);
    const b = binValues(v, { bins: 40 });
    if (b.n === 0) continue;
    const empty = v.length - b.n;
    plots.push({
      kind: 'histogram',
      id: `intensity-${col.replace(/[^A-Za-z0-9_-]/g, '_')}`,
      title: `Intensity colocalization: ${col} per cell`,
      caption: `${b.n} (ROI, cell) rows of ${run.stem}_cell_intensity_colocalization.csv${empty ? ` (${empty} empty: constant channel or no voxel above the thresholds)` : ''}; definitions as CellProfiler's MeasureColocalization (docs/intensity-colocalization.md).`,
      x: { field: 'x0', label: col },
      yLabel: 'cells',
      data: b.rows,
      n: b.n,
    });
  }
  return plots;
}

function removedNote(run: RunFolder, step: string): string {
  const s = (run.manifest.filterSteps ?? []).filter((f) => f.step === step);
  const removed = s.reduce((a, f) => a + (f.nIn - f.nOut), 0);
  return s.length ? ` (${removed} removed by this step in this run)` : '';
}

function round4(v: number): number {
  return Number(v.toPrecision(6));
}

/** ROI ids and labels of the rows, for the thumbnail pass. */
export function positiveLabels(run: RunFolder): Set<number> {
  const cs = run.tables.get('cell_summary');
  if (!cs) return new Set();
  const label = numberColumn(cs, 'cell_label');
  const pos = boolColumn(cs, 'marker_positive');
  const out = new Set<number>();
  for (let i = 0; i < label.length; i++) if (pos[i]) out.add(label[i]);
  return out;
}

