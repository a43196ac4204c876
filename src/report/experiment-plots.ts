/**
 * The plots of an experiment report as data (plot-spec.ts): % positive cells per sample by condition
 * (strip + box), cells per sample, and the plate map when the `well` column parses as plate positions.
 */
import { parseWell, plateFormat, type WellPosition } from './experiment-qc.js';
import type { Datum, PlotSpec } from './plot-spec.js';

export interface SampleRow {
  sample: string;
  meta: Record<string, string>;
  nCells: number;
  /** null for single-channel runs (no positivity). */
  nPositive: number | null;
  /** Mean threshold over the ROIs per channel (null: not a threshold method). */
  thresholds: Record<string, number | null>;
  reportHref: string;
  thumbnail: Uint8Array;
  kind: 'colocalization' | 'single_channel';
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function percentPositive(s: SampleRow): number | null {
  return s.nPositive !== null && s.nCells > 0 ? (100 * s.nPositive) / s.nCells : null;
}

export function experimentPlots(samples: SampleRow[], condition: string | null): PlotSpec[] {
  const plots: PlotSpec[] = [];
  const condOf = (s: SampleRow) => (condition ? s.meta[condition] || '(none)' : 'all samples');
  const conditions = [...new Set(samples.map(condOf))];
  const ordered = [...samples].sort((a, b) => conditions.indexOf(condOf(a)) - conditions.indexOf(condOf(b)) || a.sample.localeCompare(b.sample));
  const label = condition ?? 'samples';
  const withPositivity = samples.filter((s) => s.nPositive !== null);
  if (withPositivity.length) {
    plots.push({
      kind: 'strip_box',
      id: 'positive-by-condition',
      title: `% marker-positive cells per sample${condition ? `, by ${condition}` : ''}`,
      caption: `One point per sample (hover for its name); boxes show the quartiles and the whiskers 1.5 × IQR. % = marker-positive cells / cells over the sample's ROIs.`,
      x: { field: 'condition', label, domain: conditions, tickRotate: conditions.some((c) => c.length > 8) ? -30 : undefined },
      y: { field: 'percent_positive', label: '% marker-positive cells' },
      data: withPositivity.map((s) => ({ sample: s.sample, condition: condOf(s), percent_positive: round(percentPositive(s)), n_cells: s.nCells, n_positive: s.nPositive })),
      tooltip: ['sample', 'condition', 'percent_positive', 'n_cells', 'n_positive'],
    });
  }
  plots.push({
    kind: 'bar',
    id: 'cells-per-sample',
    title: 'Cells per sample',
    caption: `Cells (objects for single-channel runs) over each sample's ROIs, ordered by ${label}.`,
    x: { field: 'sample', label: 'sample', domain: ordered.map((s) => s.sample), tickRotate: -90 },
    y: { field: 'n_cells', label: 'cells' },
    color: condition ? { field: 'condition', label: condition, domain: conditions, range: conditions.map((_, i) => PALETTE[i % PALETTE.length]) } : undefined,
    data: ordered.map((s) => ({ sample: s.sample, condition: condOf(s), n_cells: s.nCells })),
    tooltip: ['sample', 'condition', 'n_cells'],
    width: Math.min(1100, Math.max(420, 60 + 14 * samples.length)),
  });
  const plate = platePlot(samples, condOf);
  if (plate) plots.push(plate);
  return plots;
}

const round = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(6)));

/** Heat map of % positive (or cells, without positivity) over the plate, when every `well` parses. */
function platePlot(samples: SampleRow[], condOf: (s: SampleRow) => string): PlotSpec | null {
  const wellKey = samples.length ? Object.keys(samples[0].meta).find((k) => /^well$/i.test(k)) : undefined;
  if (!wellKey) return null;
  const wells = samples.map((s) => parseWell(s.meta[wellKey]));
  if (wells.some((w) => w === null)) return null;
  const ws = wells as WellPosition[];
  const fmt = plateFormat(ws);
  const positivity = samples.every((s) => s.nPositive !== null);
  const field = positivity ? 'percent_positive' : 'n_cells';
  const data: Datum[] = samples.map((s, i) => ({
    well: ws[i].label,
    row: String.fromCharCode(65 + ws[i].row),
    column: ws[i].column,
    sample: s.sample,
    condition: condOf(s),
    percent_positive: round(percentPositive(s)),
    n_cells: s.nCells,
  }));
  return {
    kind: 'heatmap',
    id: 'plate-map',
    title: `Plate map (${fmt.rows * fmt.columns}-well): ${positivity ? '% marker-positive cells' : 'objects'} per well`,
    caption: `Wells from the \`${wellKey}\` column; empty wells had no analysed sample. Hover for the sample.`,
    x: { field: 'column', label: 'column', domain: Array.from({ length: fmt.columns }, (_, i) => i + 1) },
    y: { field: 'row', label: 'row', domain: Array.from({ length: fmt.rows }, (_, i) => String.fromCharCode(65 + i)) },
    fill: { field, label: positivity ? '% positive' : 'objects' },
    data,
    tooltip: ['well', 'sample', 'condition', 'percent_positive', 'n_cells'],
    width: fmt.columns === 12 ? 560 : 900,
    height: fmt.rows === 8 ? 300 : 480,
  };
}

