/**
 * The experiment report (issue 17.4): per-condition strip/box plots of the fraction of positive cells (one point
 * per sample), cells per sample, a plate heat map when `well` parses as a plate position, a QC table flagging
 * samples whose threshold or cell count is far from the experiment's median (robust z > 3, with the reason),
 * the failures, and a gallery of one overlay per sample linking to its run report. Everything comes from the
 * files: each sample folder's manifest and overview table, the experiment's CSVs, and the thumbnail each run
 * report left beside itself (written first where a sample has no current report).
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../core/errors.js';
import { readCsvTable, stringColumn, type CsvTable } from './csv-table.js';
import { experimentPlots, type SampleRow } from './experiment-plots.js';
import { QC_Z_LIMIT, robustZ } from './experiment-qc.js';
import { esc, fmtNumber, num, page, plotFigure, table, type Cell } from './html.js';
import { loadPlotRuntime } from './load-plot-runtime.js';
import { renderPlot } from './render-plot.js';
import { listRunManifests, readRunFolder, type RunFolder } from './run-folder.js';
import { summarize } from './run-report.js';
import { REPORT_FILE, THUMBNAIL_SUFFIX, writeRunReport } from './write-run.js';

/** One sample folder as found: its run (overview tables only) and where its report is, or why it has none. */
type FoundSample =
  | { name: string; failure: string; run: null }
  | { name: string; run: RunFolder; done: Awaited<ReturnType<typeof readDone>>; sdir: string; reportName: string; thumbPath: string; stale: boolean };

/** Samples read at once. */
const SAMPLES_IN_FLIGHT = 8;
/** The only tables an experiment report reads from a sample whose report is current (summarize()). */
const OVERVIEW_SHEETS = ['roi_coloc_overview', 'roi_overview'];

/** `fn` over `items` with at most `limit` running at once; results in the order of `items`. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Sheet columns that are not sample metadata. */
const NOT_METADATA = /^(sample|image|channel_\d+|config\..*|roi_id|stem|results_dir|status|error)$/;

export interface ExperimentData {
  dir: string;
  batch: Record<string, unknown>;
  samples: SampleRow[];
  failures: { sample: string; error: string }[];
  metadataColumns: string[];
  conditionColumn: string | null;
}

export async function readExperiment(dir: string, onProgress?: (m: string) => void): Promise<ExperimentData> {
  let batch: Record<string, unknown>;
  try {
    batch = JSON.parse(await readFile(join(dir, 'batch_manifest.json'), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw inputError(`${join(dir, 'batch_manifest.json')}: not readable JSON (${(err as Error).message})`, err);
  }
  const samplesDir = join(dir, 'samples');
  const names = existsSync(samplesDir) ? (await readdir(samplesDir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort() : [];
  const metadata = await readMetadata(dir);
  const failures: ExperimentData['failures'] = [];
  if (existsSync(join(dir, 'failures.csv'))) {
    const f = await readCsvTable(join(dir, 'failures.csv'));
    const s = stringColumn(f, 'sample');
    const e = f.columns.includes('error') ? stringColumn(f, 'error') : s.map(() => '');
    s.forEach((name, i) => failures.push({ sample: name, error: e[i] }));
  }
  const failed = new Set(failures.map((f) => f.sample));
  // Every sample's manifest and overview are read concurrently (a few at a time: on a loaded machine each
  // sequential await costs a scheduling delay) and only those tables (not cell_summary & co.); sample reports
  // that are missing or stale are then written one after the other (each decodes a whole image).
  let nRead = 0;
  const found = await mapLimit(names, SAMPLES_IN_FLIGHT, async (name): Promise<FoundSample> => {
    // done.json (issue 14): `status` failed → not analysed; `stem` and `resultsSubdir` (a crop run's crop_…/) say
    // where the run is. Without one, the sample folder itself.
    const done = await readDone(join(samplesDir, name));
    if (done?.status === 'failed') return { name, failure: done.error ?? 'failed', run: null };
    const sdir = join(samplesDir, name, done?.resultsSubdir ?? '');
    const manifests = await listRunManifests(sdir).catch(() => [] as string[]);
    if (manifests.length === 0) return { name, failure: 'no run manifest in its folder (the run did not finish)', run: null };
    const stem = done?.stem && manifests.includes(`${done.stem}_run_manifest.json`) ? done.stem : manifests.length > 1 ? manifests[0].replace(/_run_manifest\.json$/, '') : undefined;
    const run = await readRunFolder(sdir, stem, { only: OVERVIEW_SHEETS });
    const reportName = manifests.length > 1 ? `${run.stem}_${REPORT_FILE}` : REPORT_FILE;
    const reportPath = join(sdir, reportName);
    const thumbPath = join(sdir, `${run.stem}${THUMBNAIL_SUFFIX}`);
    // A sample's own report (and its gallery overlay) is written when missing or older than its manifest.
    const stale = !existsSync(reportPath) || !existsSync(thumbPath) || statSync(reportPath).mtimeMs < statSync(run.manifestPath).mtimeMs;
    if (++nRead % 16 === 0) onProgress?.(`read ${nRead}/${names.length} samples`);
    return { name, done, sdir, run, reportName, thumbPath, stale };
  });
  for (const f of found) {
    if (!f.run || !f.stale) continue;
    onProgress?.(`report of sample ${f.name}`);
    await writeRunReport(f.sdir, f.run.stem);
  }
  const thumbnails = await mapLimit(found, SAMPLES_IN_FLIGHT, async (f) => (f.run ? new Uint8Array(await readFile(f.thumbPath)) : null));
  const samples: SampleRow[] = [];
  found.forEach((f, i) => {
    if (!f.run) {
      if (!failed.has(f.name)) failures.push({ sample: f.name, error: f.failure });
      return;
    }
    const s = summarize(f.run);
    samples.push({
      sample: f.name,
      meta: metadata.get(f.name) ?? {},
      nCells: s.nCells,
      nPositive: s.nPositive,
      thresholds: s.thresholds,
      reportHref: ['samples', f.name, ...(f.done?.resultsSubdir ? f.done.resultsSubdir.split(/[\\/]/) : []), f.reportName].filter(Boolean).map(encodeURIComponent).join('/'),
      thumbnail: thumbnails[i]!,
      kind: f.run.kind,
    });
  });
  const metadataColumns = [...new Set(samples.flatMap((s) => Object.keys(s.meta)))];
  return { dir, batch, samples, failures, metadataColumns, conditionColumn: chooseCondition(samples, metadataColumns) };
}

interface DoneRecord {
  status?: string;
  error?: string;
  stem?: string | null;
  resultsSubdir?: string | null;
}

async function readDone(sampleDir: string): Promise<DoneRecord | null> {
  try {
    const j = JSON.parse(await readFile(join(sampleDir, 'done.json'), 'utf8')) as DoneRecord;
    return j && typeof j === 'object' ? j : null;
  } catch {
    return null;
  }
}

/** Per-sample metadata columns from experiment_summary.csv (first row of each sample), else the sample sheet. */
async function readMetadata(dir: string): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  let t: CsvTable | null = null;
  for (const f of ['experiment_summary.csv', 'samples.csv']) {
    if (existsSync(join(dir, f))) {
      t = await readCsvTable(join(dir, f));
      if (t.columns.includes('sample')) break;
      t = null;
    }
  }
  if (!t) return out;
  // Result columns of the merged summary are the run's overview columns: not metadata.
  const resultLike = /^(n_|drawn_roi|roi_volume|cell_|marker_|optional_region_|object_|average_|fraction|percent|pct_|threshold)/;
  const si = t.columns.indexOf('sample');
  const cols = t.columns.map((c, i) => [c, i] as const).filter(([c]) => !NOT_METADATA.test(c) && !resultLike.test(c));
  for (const r of t.rows) {
    if (out.has(r[si])) continue;
    out.set(r[si], Object.fromEntries(cols.map(([c, i]) => [c, r[i]])));
  }
  return out;
}

/** `condition` if there is one; else the first metadata column (not the well) that groups the samples. */
function chooseCondition(samples: SampleRow[], cols: string[]): string | null {
  if (cols.includes('condition')) return 'condition';
  for (const c of cols) {
    if (/^(well|plate|row|column|replicate|field|site)$/i.test(c)) continue;
    const distinct = new Set(samples.map((s) => s.meta[c]));
    if (distinct.size >= 2 && distinct.size < samples.length) return c;
  }
  return null;
}

export interface QcRow {
  sample: string;
  values: Record<string, number>;
  z: Record<string, number>;
  reasons: string[];
}

/** QC of cell count and each channel's threshold: robust z against the experiment's median. */
export function qcRows(samples: SampleRow[]): { metrics: string[]; rows: QcRow[]; medians: Record<string, number> } {
  const channels = [...new Set(samples.flatMap((s) => Object.keys(s.thresholds)))];
  const metrics = ['cells', ...channels.map((c) => `${c} threshold`)];
  const valueOf = (s: SampleRow, m: string) => (m === 'cells' ? s.nCells : (s.thresholds[m.replace(/ threshold$/, '')] ?? NaN));
  const rows: QcRow[] = samples.map((s) => ({ sample: s.sample, values: {}, z: {}, reasons: [] }));
  const medians: Record<string, number> = {};
  for (const m of metrics) {
    const vals = samples.map((s) => valueOf(s, m));
    const r = robustZ(vals);
    medians[m] = r.median;
    rows.forEach((row, i) => {
      row.values[m] = vals[i];
      row.z[m] = r.z[i];
      if (Math.abs(r.z[i]) > QC_Z_LIMIT) {
        row.reasons.push(`${m} ${fmtNumber(vals[i])} is ${r.z[i] > 0 ? 'above' : 'below'} the median ${fmtNumber(r.median)} (robust z ${fmtNumber(r.z[i], 3)})`);
      }
    });
  }
  return { metrics, rows, medians };
}

export async function buildExperimentReport(dir: string, onProgress?: (m: string) => void): Promise<string> {
  const runtime = loadPlotRuntime();
  const exp = await readExperiment(dir, onProgress);
  const plots = experimentPlots(exp.samples, exp.conditionColumn);
  const rt = await runtime;
  const figures = plots.map((p) => plotFigure(p, renderPlot(rt, p)));
  const qc = qcRows(exp.samples);
  const flagged = qc.rows.filter((r) => r.reasons.length);
  const sections: string[] = [];
  const cond = exp.conditionColumn;
  sections.push(`<section id="summary"><h2>Summary</h2>
<p>${exp.samples.length} sample${exp.samples.length === 1 ? '' : 's'} analysed, ${exp.failures.length} failed${cond ? `; conditions from the column <code>${esc(cond)}</code>` : ''}; ${flagged.length} flagged by QC.</p>
${sampleTable(exp)}</section>`);
  sections.push(`<section id="plots"><h2>Plots</h2><div class="plots">${figures.join('\n')}</div></section>`);
  sections.push(`<section id="qc"><h2>Quality control</h2>
<p class="note">Robust z-score = 0.6745 · (value − median) / MAD across the analysed samples (Iglewicz &amp; Hoaglin); |z| &gt; ${QC_Z_LIMIT} is flagged. Medians: ${qc.metrics
    .map((m) => `${esc(m)} ${esc(fmtNumber(qc.medians[m]))}`)
    .join(', ')}.</p>
${table(
  ['sample', ...qc.metrics.flatMap((m) => [esc(m), `z`]), 'flag'],
  qc.rows.map((r) => [
    { html: esc(r.sample), cls: r.reasons.length ? 'flag' : '' },
    ...qc.metrics.flatMap((m): Cell[] => [num(r.values[m]), { ...num(r.z[m], 3), cls: `num${Math.abs(r.z[m]) > QC_Z_LIMIT ? ' flag' : ''}` }]),
    { html: esc(r.reasons.join('; ')), cls: r.reasons.length ? 'flag qc-flag' : '' },
  ]),
  'qc',
)}</section>`);
  sections.push(`<section id="failures"><h2>Failures</h2>${
    exp.failures.length ? table(['sample', 'error'], exp.failures.map((f) => [esc(f.sample), esc(f.error)])) : '<p class="note">None.</p>'
  }</section>`);
  sections.push(`<section id="gallery"><h2>Gallery</h2><p class="note">One overlay per sample (cells outlined, positive cells filled in yellow, marker objects outlined in green); click for the sample's report.</p>
<div class="gallery">${exp.samples
    .map(
      (s) =>
        `<a href="${esc(s.reportHref)}" data-sample="${esc(s.sample)}"><img alt="${esc(s.sample)}" src="data:image/png;base64,${Buffer.from(s.thumbnail).toString('base64')}"><span>${esc(s.sample)}${
          cond ? ` · ${esc(s.meta[cond] ?? '')}` : ''
        } · ${s.nCells} cells${s.nPositive !== null ? `, ${fmtNumber(pct(s), 3)} % +` : ''}</span></a>`,
    )
    .join('\n')}</div></section>`);
  const created = typeof exp.batch.createdAt === 'string' ? exp.batch.createdAt : '';
  return page(`CellColoc experiment report`, `<code>${esc(dir)}</code>${created ? ` · batch of ${esc(created)}` : ''}`, sections.join('\n'), {
    kind: 'experiment',
    samples: exp.samples.map((s) => ({ sample: s.sample, nCells: s.nCells, nPositive: s.nPositive, thresholds: s.thresholds, meta: s.meta })),
    failures: exp.failures,
    qcFlagged: flagged.map((r) => ({ sample: r.sample, reasons: r.reasons })),
    plots: plots.map((p) => p.id),
  });
}

export const pct = (s: SampleRow) => (s.nPositive !== null && s.nCells > 0 ? (100 * s.nPositive) / s.nCells : NaN);

function sampleTable(exp: ExperimentData): string {
  const meta = exp.metadataColumns;
  return table(
    ['sample', ...meta.map((m) => `<code>${esc(m)}</code>`), 'cells', 'positive', '% positive', ...Object.keys(exp.samples[0]?.thresholds ?? {}).map((c) => `${esc(c)} threshold`)],
    exp.samples.map((s) => [
      `<a href="${esc(s.reportHref)}">${esc(s.sample)}</a>`,
      ...meta.map((m) => esc(s.meta[m] ?? '')),
      num(s.nCells),
      num(s.nPositive),
      num(pct(s), 3),
      ...Object.values(s.thresholds).map((v) => num(v, 5)),
    ]),
  );
}
