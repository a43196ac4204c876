/**
 * The single-run report: parameters that matter (channels, methods, thresholds per ROI and channel, voxel size
 * and its source, warnings), the per-ROI overview, an overlay thumbnail per ROI, and the plots of run-plots.ts.
 */
import { basename, relative } from 'node:path';
import { numberColumn, type CsvTable } from './csv-table.js';
import { esc, fmtNumber, legend, num, page, plotFigure, table, type Cell } from './html.js';
import { loadPlotRuntime } from './load-plot-runtime.js';
import { renderPlot } from './render-plot.js';
import { runFacts, type RunFolder } from './run-folder.js';
import { displayNames, planRunPlots, positiveLabels } from './run-plots.js';
import { startRunPlanes, type RunPlanes } from './run-planes.js';
import { OVERLAY, pngDataUri, renderThumbnail, renderThumbnailAsync, type Box, type Thumbnail } from './thumbnail.js';

/** Longer side of a ROI's overlay in the run report, and of the gallery overlay an experiment report shows. */
export const ROI_THUMB_SIDE = 560;
export const GALLERY_THUMB_SIDE = 180;

export interface RunReport {
  html: string;
  /** The whole-image overlay at gallery size (the experiment report's gallery reuses it). */
  galleryThumbnail: Thumbnail;
  summary: RunSummary;
}

/** Numbers of a run an experiment report reads back (stored in the page's JSON block). */
export interface RunSummary {
  stem: string;
  kind: RunFolder['kind'];
  nCells: number;
  nPositive: number | null;
  thresholds: Record<string, number | null>;
}

const rgb = (c: readonly number[]) => `rgb(${c[0]},${c[1]},${c[2]})`;

export async function buildRunReport(run: RunFolder): Promise<RunReport> {
  // Decoding and plotting overlap: the image and the masks inflate on node's thread pool while this thread loads
  // the plotting libraries and renders every plot that needs only the tables; the marker-intensity plot (it needs
  // the decoded image and cell mask) and the overlays follow. The libraries load (synchronously, ~40 ms) only once
  // the pixel reads are under way (run-planes.ts, `underway`, says why); the table-only plots are planned
  // meanwhile. (A worker thread for the plots was measured too: on the 2-core machine its start-up cost more CPU
  // than the overlap saved.)
  const { planes: reading, underway } = startRunPlanes(run);
  reading.catch(() => {}); // awaited below, after the plots: no unhandled rejection meanwhile
  const plan = planRunPlots(run);
  await underway;
  const rt = await loadPlotRuntime();
  const figures: string[] = [];
  for (const p of plan.specs) {
    // Between plots, pending file reads get to hand their strips to the thread pool.
    await new Promise((res) => setImmediate(res));
    figures.push(plotFigure(p, renderPlot(rt, p)));
  }
  const planes = await reading;
  const plots = [...plan.specs];
  const intensity = planes.cellMarkerMean ? plan.intensityPlot(planes.cellMarkerMean) : null;
  if (intensity) {
    plots.splice(plan.intensityAt, 0, intensity);
    figures.splice(plan.intensityAt, 0, plotFigure(intensity, renderPlot(rt, intensity)));
  }
  const positive = positiveLabels(run);
  const m = run.manifest;
  const names = displayNames(run);
  const facts = runFacts(run);
  const boxes = roiBoxes(run, planes);
  // Many ROIs: smaller overlays, so that the page stays mailable (≈ 40 KiB instead of ≈ 150 KiB each).
  const side = boxes.length > 6 ? ROI_THUMB_SIDE / 2 : ROI_THUMB_SIDE;
  // Their PNGs deflate on the thread pool while the gallery overlay and the first sections are made.
  const thumbs = boxes.map(({ roiId, box }) => ({ roiId, box, t: renderThumbnailAsync(planes, { box, maxSide: side, positive, roiId }) }));
  thumbs.forEach(({ t }) => t.png.catch(() => {})); // awaited below; no unhandled rejection meanwhile
  // 4 bits per colour level: ~16 KiB a sample, so a 96-sample gallery stays near 2 MiB.
  // From a whole-image overlay's downsampled level when there is one (one pass over the full planes, not two).
  const whole = thumbs.find(({ box }) => box.y0 === 0 && box.x0 === 0 && box.y1 === planes.height && box.x1 === planes.width);
  const galleryThumbnail = renderThumbnail(whole ? whole.t.level : planes, { maxSide: GALLERY_THUMB_SIDE, positive, bits: 4 });
  const summary = summarize(run);

  const warnings = [...(m.warnings ?? [])];
  if (planes.imageNote) warnings.push(planes.imageNote);
  if (m.zStack?.note) warnings.push(m.zStack.note);

  const sections: string[] = [];
  sections.push(`<section id="parameters"><h2>Parameters</h2>
${warnings.map((w) => `<div class="warn">⚠ ${esc(w)}</div>`).join('\n')}
${imageTable(run, facts)}
${channelTable(run, names)}
${run.kind === 'colocalization' ? colocTable(run) : singleTable(run)}
<h3>Thresholds per ROI and channel</h3>
${thresholdTable(run)}
</section>`);
  sections.push(`<section id="overview"><h2>Per-ROI overview</h2>${overviewTable(run)}</section>`);
  const legendItems: [string, string][] =
    run.kind === 'colocalization'
      ? [
          [rgb(OVERLAY.cellOutline), `${names.cell} outline`],
          [rgb(OVERLAY.positive), `${names.marker}-positive cell`],
          [rgb(OVERLAY.marker), `${names.marker} object outline`],
          ...(planes.region ? ([[rgb(OVERLAY.region), `${names.region} object outline`]] as [string, string][]) : []),
        ]
      : [[rgb(OVERLAY.cellOutline), 'object outline']];
  if (planes.rois) legendItems.push([rgb(OVERLAY.roi), 'ROI outline']);
  const channelLegend = planes.channels.length
    ? `<p class="note">Image: ${planes.channels.map((c) => `${esc(channelLabel(c.role, names))} in ${c.role === 'cell' ? 'magenta' : c.role === 'marker' ? 'cyan' : c.role === 'optional_region' ? 'red' : 'grey'}`).join(', ')}${
        facts.is3d || (m.image?.analysedShapeZyx?.[0] ?? 1) > 1 ? ' (max projection over the analysed planes; labels: maximum over z)' : ''
      }; contrast 0.5–99.5 %.</p>`
    : '';
  const pngs = await Promise.all(thumbs.map(({ t }) => t.png));
  sections.push(`<section id="overlays"><h2>Overlays</h2>${legend(legendItems)}${channelLegend}
<div class="thumbs">${thumbs
    .map(
      ({ roiId, box, t }, i) =>
        `<figure class="thumb" data-roi="${roiId}"><img alt="overlay of ROI ${roiId}" ${displaySize(t)} src="${pngDataUri(pngs[i])}"><figcaption>ROI ${roiId}: y ${box.y0}–${box.y1}, x ${box.x0}–${box.x1}${
          t.scale > 1 ? ` (1 : ${fmtNumber(t.scale, 3)})` : ''
        }</figcaption></figure>`,
    )
    .join('\n')}</div></section>`);
  sections.push(`<section id="plots"><h2>Plots</h2><div class="plots">${figures.join('\n')}</div></section>`);
  if (run.intensity.roi) sections.push(`<section id="intensity"><h2>Intensity colocalization per ROI</h2>${csvAsTable(run.intensity.roi)}</section>`);
  sections.push(filesSection(run));

  const title = `CellColoc report — ${run.stem}${m.image?.cropForTesting ? ' (crop)' : ''}`;
  const sub = `${esc(run.kind === 'single_channel' ? 'single-channel counting' : facts.thirdChannelPositivity ? 'three-channel colocalization' : 'colocalization')} run of ${esc(
    m.createdAt ?? '?',
  )} · cellcoloc ${esc(m.package?.version ?? '?')} · <code>${esc(run.dir)}</code>`;
  const html = page(title, sub, sections.join('\n'), {
    kind: 'run',
    stem: run.stem,
    runKind: run.kind,
    summary,
    plots: plots.map((p) => p.id),
  });
  return { html, galleryThumbnail, summary };
}

/** Small ROIs are shown enlarged (pixels kept sharp) so that a 100-pixel ROI is still readable. */
function displaySize(t: { width: number; height: number }): string {
  const k = Math.max(t.width, t.height) < 320 ? 320 / Math.max(t.width, t.height) : 1;
  return `width="${Math.round(t.width * k)}" height="${Math.round(t.height * k)}"${k > 1 ? ' style="image-rendering: pixelated"' : ''}`;
}

function channelLabel(role: string, names: { cell: string; marker: string; region: string }): string {
  return role === 'cell' ? names.cell : role === 'marker' ? names.marker : role === 'optional_region' ? names.region : 'channel';
}

export function summarize(run: RunFolder): RunSummary {
  const thresholds: Record<string, number | null> = {};
  for (const [ch, list] of Object.entries(run.manifest.thresholds ?? {})) {
    const vals = list.map((e) => e.info?.threshold).filter((v): v is number => typeof v === 'number');
    thresholds[ch] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
  }
  if (run.kind === 'single_channel') {
    const ov = run.tables.get('roi_overview')!;
    return { stem: run.stem, kind: run.kind, nCells: sum(numberColumn(ov, 'n_objects')), nPositive: null, thresholds };
  }
  const ov = run.tables.get('roi_coloc_overview')!;
  return { stem: run.stem, kind: run.kind, nCells: sum(numberColumn(ov, 'n_cells')), nPositive: sum(numberColumn(ov, 'n_marker_positive_cells')), thresholds };
}

const sum = (a: Float64Array) => a.reduce((s, v) => s + (Number.isFinite(v) ? v : 0), 0);

function roiBoxes(run: RunFolder, planes: RunPlanes): { roiId: number; box: Box }[] {
  const list = Object.values(run.manifest.thresholds ?? {})[0] ?? [];
  const out: { roiId: number; box: Box }[] = [];
  for (const e of list) {
    if (!e.box) continue;
    out.push({ roiId: e.roiId, box: { y0: e.box.yMin, y1: e.box.yMax, x0: e.box.xMin, x1: e.box.xMax } });
  }
  if (!out.length) out.push({ roiId: 1, box: { y0: 0, y1: planes.height, x0: 0, x1: planes.width } });
  return out;
}

function imageTable(run: RunFolder, facts: ReturnType<typeof runFacts>): string {
  const m = run.manifest;
  const img = m.image ?? {};
  const v = facts.voxelZyxUm;
  const rows: [string, string][] = [
    ['image', (m.inputs ?? []).map((i) => `<code>${esc(i.path)}</code>`).join('<br>') || esc(String(m.config.image))],
    ['stored shape (T, Z, C, Y, X)', esc((img.rawShapeTzcyx ?? []).join(' × '))],
    ['analysed shape (Z, Y, X)', esc((img.analysedShapeZyx ?? []).join(' × '))],
    ['dtype', esc(img.dtype ?? '')],
    ['voxel size (z, y, x)', `${esc(v.map((x) => fmtNumber(x)).join(' × '))} µm — from ${esc(m.voxelSize?.source ?? '?')}`],
  ];
  if (img.cropForTesting) rows.push(['crop_for_testing', esc(JSON.stringify(img.cropForTesting))]);
  if ((img.timePoint ?? 0) !== 0) rows.push(['time point', esc(img.timePoint)]);
  if (m.zStack) rows.push(['z handling', esc(m.zStack.note ?? JSON.stringify(m.zStack))]);
  return table(['', ''], rows.map(([k, val]) => [esc(k), val]), 'kv');
}

function modelSummary(mc: Record<string, any> | null | undefined): string {
  if (!mc) return '—';
  const method = mc.segmentation_method;
  const parts = [`<b>${esc(method)}</b>`];
  if (method === 'percentile') parts.push(`threshold_percentile ${esc(mc.threshold_percentile)}`);
  if (method === 'cellpose') parts.push(`model ${esc(mc.model_name_or_path)}`, `diameter ${esc(mc.diameter ?? 'model')}`, `cellprob_threshold ${esc(mc.cellprob_threshold)}`, `flow_threshold ${esc(mc.flow_threshold)}`);
  const pre = Array.isArray(mc.prefilter) ? mc.prefilter : mc.prefilter ? [mc.prefilter] : [];
  if (pre.length) parts.push(`prefilter ${esc(pre.join(' → '))} (σxy ${esc(mc.prefilter_sigma_xy)})`);
  if (mc.threshold_background_sigma) parts.push(`background σ ${esc(mc.threshold_background_sigma)}`);
  if (method !== 'cellpose') parts.push(`min object/hole ${esc(mc.threshold_min_object_voxels)}/${esc(mc.threshold_min_hole_voxels)} voxels`);
  if (mc.postfilters?.length) parts.push(`postfilters ${esc(mc.postfilters.join(', '))}`);
  if (mc.z_crop) parts.push(`z_crop ${esc(JSON.stringify(mc.z_crop))}`);
  if (mc.z_projection) parts.push(`z_projection ${esc(mc.z_projection)}`);
  return parts.join(' · ');
}

function channelTable(run: RunFolder, names: ReturnType<typeof displayNames>): string {
  const c = run.manifest.config;
  const chNames = run.manifest.image?.channelNames ?? [];
  const stored = (i: number | null | undefined) => (i === null || i === undefined ? '' : esc(chNames[i] ?? ''));
  if (run.kind === 'single_channel') {
    const i = c.single_channel_config?.channel_index;
    return `<h3>Channel</h3>${table(['role', 'C index', 'name in the image', 'segmentation'], [['objects', num(i), stored(i), modelSummary(c.model_config)]])}`;
  }
  const cc = c.channel_config ?? {};
  const rows: (string | Cell)[][] = [
    [`cells — ${esc(names.cell)}`, num(cc.cell_channel), stored(cc.cell_channel), modelSummary(c.cell_model_config)],
    [`marker — ${esc(names.marker)}`, num(cc.marker_channel), stored(cc.marker_channel), modelSummary(c.marker_model_config)],
  ];
  if (cc.optional_region_channel !== null && cc.optional_region_channel !== undefined) {
    rows.push([`third channel — ${esc(names.region)}`, num(cc.optional_region_channel), stored(cc.optional_region_channel), modelSummary(c.optional_region_model_config)]);
  }
  return `<h3>Channels</h3>${table(['role — display name', 'C index', 'name in the image', 'segmentation'], rows)}`;
}

function colocTable(run: RunFolder): string {
  const cc = run.manifest.config.colocalization_config ?? {};
  const keys = ['min_cell_voxels', 'overlap_fraction_threshold', 'min_overlap_voxels', 'positivity_rule', 'evaluate_optional_region_cell_positivity'];
  return `<h3>Colocalization</h3>${table(keys.map((k) => `<code>${k}</code>`), [keys.map((k) => esc(String(cc[k] ?? '')))])}`;
}

function singleTable(run: RunFolder): string {
  const ac = run.manifest.config.analysis_config ?? {};
  const keys = Object.keys(ac);
  return keys.length ? `<h3>Analysis</h3>${table(keys.map((k) => `<code>${esc(k)}</code>`), [keys.map((k) => esc(JSON.stringify(ac[k])))])}` : '';
}

function thresholdTable(run: RunFolder): string {
  const rows: (string | Cell)[][] = [];
  for (const [ch, list] of Object.entries(run.manifest.thresholds ?? {})) {
    for (const e of list) {
      const info = (e.info ?? {}) as Record<string, unknown>;
      const extra = Object.entries(info)
        .filter(([k]) => !['method', 'threshold'].includes(k))
        .map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNumber(v) : JSON.stringify(v)}`)
        .join(', ');
      rows.push([num(e.roiId), esc(ch), esc(info.method ?? ''), num(info.threshold, 6), esc(extra)]);
    }
  }
  return rows.length ? table(['ROI', 'channel', 'method', 'threshold', 'details'], rows) : '<p class="note">The manifest records no thresholds.</p>';
}

function overviewTable(run: RunFolder): string {
  if (run.kind === 'single_channel') return csvAsTable(run.tables.get('roi_overview')!, ['roi_id', 'n_objects', 'drawn_roi_area_um2', 'roi_volume_um3', 'object_occupancy_coverage_2d_percent', 'object_occupancy_coverage_3d_percent']);
  const ov = run.tables.get('roi_coloc_overview')!;
  const n = numberColumn(ov, 'n_cells');
  const p = numberColumn(ov, 'n_marker_positive_cells');
  const cols = ov.columns.filter((c) => /^(roi_id|n_|drawn_roi_area_um2|roi_volume_um3|.*coverage_(2d|3d)_percent)/.test(c));
  // The % of positive cells right after the counts it is made of (the table scrolls sideways on narrow pages).
  const at = cols.includes('n_marker_positive_cells') ? cols.indexOf('n_marker_positive_cells') + 1 : cols.length;
  const rows = ov.rows.map((r, i) => {
    const cells = cols.map((c) => num(Number(r[ov.columns.indexOf(c)])));
    cells.splice(at, 0, num(n[i] > 0 ? (100 * p[i]) / n[i] : NaN, 3));
    return cells;
  });
  const head = cols.map((c) => `<code>${esc(c)}</code>`);
  head.splice(at, 0, '% marker-positive');
  return table(head, rows);
}

/** A CSV table as HTML (selected columns; all when none given). */
export function csvAsTable(t: CsvTable, only?: string[]): string {
  const cols = only ? only.filter((c) => t.columns.includes(c)) : t.columns;
  const idx = cols.map((c) => t.columns.indexOf(c));
  const rows = t.rows.map((r) => idx.map((i) => (r[i] !== '' && !Number.isNaN(Number(r[i])) ? num(Number(r[i])) : esc(r[i]))));
  return table(cols.map((c) => `<code>${esc(c)}</code>`), rows);
}

function filesSection(run: RunFolder): string {
  const outs = (run.manifest.outputs ?? []).map((o) => (typeof o === 'string' ? o : o.file));
  const timings = run.manifest.timingsMs ?? [];
  const total = timings.reduce((a, t) => a + t.ms, 0);
  return `<section id="files"><h2>Files and timings</h2>
<p>${outs.map((f) => `<a href="${esc(encodeURI(f))}">${esc(basename(f))}</a>`).join(' · ')}</p>
<p class="note">Stage timings: ${timings.map((t) => `${esc(t.stage)} ${fmtNumber(t.ms / 1000, 3)} s`).join(', ')} — total ${fmtNumber(total / 1000, 3)} s. Manifest: <code>${esc(relative(run.dir, run.manifestPath))}</code>.</p>
</section>`;
}

