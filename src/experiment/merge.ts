/**
 * Merged tables of an experiment (issue 14.7), rebuilt from the sample folders alone (`cellcoloc merge DIR`, also
 * the last step of every `cellcoloc batch` and of a cluster run):
 *
 * - `experiment_summary.csv`: one row per (sample, roi_id): `sample`, the metadata columns, then the sample's
 *   `roi_coloc_overview` columns and `fraction_marker_positive` = n_marker_positive_cells / n_cells (empty when
 *   n_cells is 0). Single-channel samples contribute their `roi_overview` rows (no fraction).
 * - `experiment_cells.csv`: every `cell_summary` row (single-channel: `object_summary`) with `sample` and the
 *   metadata columns first.
 * - `experiment_by_condition.csv` (with a `condition` metadata column): per condition, in order of first appearance:
 *   n_samples, n_cells, n_marker_positive_cells, the pooled fraction Σ positive / Σ cells, and the mean, SD
 *   (n − 1) and SEM (SD / √n) of the per-sample fractions (each sample's fraction over all its ROIs; samples
 *   without cells have no fraction and are left out of those three, `n_samples_with_cells` says how many count).
 * - `experiment.xlsx`: those sheets and `failures`; `failures.csv`: `sample,error` (header always present).
 * - `batch_manifest.json`: hashes, version, per-sample status and timings, the jobs chosen.
 *
 * The tables hold no paths and no timings, and every value is copied as the per-sample CSV wrote it, so the
 * same inputs give byte-identical merged files however and wherever the samples ran.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { csvParseRows } from 'd3-dsv';
import { csvField, pythonFloatRepr } from '../export/csv.js';
import { writeFilesAtomically, type AtomicEntry } from '../io/atomic-write.js';
import { encodeXlsx, SheetWriter } from '../export/xlsx-writer.js';
import { inputError } from '../core/errors.js';
import { readDoneRecord, type DoneRecord } from './sample-record.js';
import { readSheetRecord, type SheetRecord } from './sheet-record.js';

export const MERGED_FILES = {
  summary: 'experiment_summary.csv',
  cells: 'experiment_cells.csv',
  byCondition: 'experiment_by_condition.csv',
  failures: 'failures.csv',
  workbook: 'experiment.xlsx',
  manifest: 'batch_manifest.json',
} as const;

/** Excel's sheet limit (rows, header included). */
const EXCEL_MAX_ROWS = 1_048_576;

interface CsvTable {
  header: string[];
  rows: string[][];
}

export interface MergeSampleStatus {
  sample: string;
  status: 'ok' | 'failed' | 'missing';
  error: string | null;
  record: DoneRecord | null;
}

export interface MergeResult {
  resultsDir: string;
  samples: MergeSampleStatus[];
  files: string[];
  /** Rows written per merged table. */
  rows: { summary: number; cells: number; byCondition: number | null; failures: number };
  notes: string[];
}

async function readCsv(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw inputError(`${path}: cannot read the sample's table (${(err as NodeJS.ErrnoException).code ?? err}); rerun the sample`);
  }
  // d3-dsv: RFC 4180 rows as strings, several times faster than csv-parse on 10⁴–10⁶ rows.
  const records = csvParseRows(text);
  if (records.length > 0 && records[records.length - 1].length === 1 && records[records.length - 1][0] === '') records.pop();
  if (records.length === 0) throw inputError(`${path}: empty table; rerun the sample`);
  return { header: records[0], rows: records.slice(1) };
}

function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const out = new Array<string>(rows.length + 1);
  out[0] = header.map(csvField).join(',');
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    out[i + 1] = r.length === 1 && r[0] === '' ? '""' : r.map(csvField).join(',');
  }
  return out.join('\n') + '\n';
}

/** Column union in first-appearance order (single- and two-channel samples, or tables of older versions). */
function unionColumns(tables: readonly CsvTable[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of tables) for (const c of t.header) if (!seen.has(c)) (seen.add(c), out.push(c));
  return out;
}

/** Rows of `t` re-ordered to `columns` (missing columns empty). */
function project(t: CsvTable, columns: readonly string[]): string[][] {
  const idx = columns.map((c) => t.header.indexOf(c));
  return t.rows.map((r) => idx.map((i) => (i === -1 ? '' : r[i])));
}

const isSingle = (r: DoneRecord) => r.kind === 'single-channel';

function sampleTablePaths(dir: string, r: DoneRecord): { overview: string; cells: string } {
  const folder = join(dir, 'samples', r.sample, r.resultsSubdir ?? '');
  const f = (suffix: string) => join(folder, `${r.stem}_${suffix}`);
  return isSingle(r)
    ? { overview: f('roi_overview.csv'), cells: f('single_channel_objects.csv') }
    : { overview: f('roi_coloc_overview.csv'), cells: f('cell_summary.csv') };
}

function num(s: string | undefined): number {
  return s === undefined || s === '' ? NaN : Number(s);
}

/** A count as the per-sample CSVs write it (pandas int64), a ratio as Python's float repr. */
const fmtInt = (v: number) => String(v);
const fmtFloat = (v: number) => (Number.isFinite(v) ? pythonFloatRepr(v) : '');

/** Per-condition statistics (see the module comment). */
export function conditionStats(
  samples: readonly { condition: string; nCells: number; nPositive: number }[],
): { header: string[]; rows: string[][] } {
  const header = [
    'condition',
    'n_samples',
    'n_samples_with_cells',
    'n_cells',
    'n_marker_positive_cells',
    'pooled_fraction_marker_positive',
    'mean_fraction_marker_positive',
    'sd_fraction_marker_positive',
    'sem_fraction_marker_positive',
  ];
  const groups = new Map<string, { nCells: number; nPositive: number }[]>();
  for (const s of samples) {
    if (!groups.has(s.condition)) groups.set(s.condition, []);
    groups.get(s.condition)!.push(s);
  }
  const rows: string[][] = [];
  for (const [condition, g] of groups) {
    const cells = g.reduce((a, s) => a + s.nCells, 0);
    const pos = g.reduce((a, s) => a + s.nPositive, 0);
    const fr = g.filter((s) => s.nCells > 0).map((s) => s.nPositive / s.nCells);
    const n = fr.length;
    const mean = n > 0 ? fr.reduce((a, b) => a + b, 0) / n : NaN;
    const sd = n > 1 ? Math.sqrt(fr.reduce((a, f) => a + (f - mean) * (f - mean), 0) / (n - 1)) : NaN;
    const sem = n > 1 ? sd / Math.sqrt(n) : NaN;
    rows.push([condition, fmtInt(g.length), fmtInt(n), fmtInt(cells), fmtInt(pos), fmtFloat(cells > 0 ? pos / cells : NaN), fmtFloat(mean), fmtFloat(sd), fmtFloat(sem)]);
  }
  return { header, rows };
}

export interface MergeOptions {
  /** What the batch that just ran adds to the manifest (jobs chosen, reasons, per-sample outcomes of this run). */
  runInfo?: Record<string, unknown> | null;
}

/** Rebuilds every merged file of `dir` from its sample folders (see the module comment). */
export async function mergeExperiment(dir: string, options: MergeOptions = {}): Promise<MergeResult> {
  const sheet: SheetRecord = await readSheetRecord(dir);
  const notes: string[] = [];
  const samples: MergeSampleStatus[] = await Promise.all(
    sheet.samples.map(async (s) => {
      const record = await readDoneRecord(join(dir, 'samples', s.sample));
      if (!record || record.sample !== s.sample) {
        return { sample: s.sample, status: 'missing' as const, error: 'not finished: no done.json (not run yet, or its process was killed before it could record anything)', record: null };
      }
      return { sample: s.sample, status: record.status, error: record.error, record };
    }),
  );
  const meta = sheet.metadataColumns;
  const metaOf = (sample: string) => meta.map((m) => sheet.samples.find((s) => s.sample === sample)?.metadata[m] ?? '');
  const metaBySample = new Map(sheet.samples.map((s) => [s.sample, meta.map((m) => s.metadata[m] ?? '')]));

  const ok = samples.filter((s) => s.status === 'ok');
  const tables = await Promise.all(
    ok.map(async (s) => {
      const p = sampleTablePaths(dir, s.record!);
      const [overview, cells] = await Promise.all([readCsv(p.overview), readCsv(p.cells)]);
      return { sample: s.sample, record: s.record!, overview, cells };
    }),
  );

  // experiment_summary
  const ovCols = unionColumns(tables.map((t) => t.overview));
  const anyTwoChannel = tables.some((t) => !isSingle(t.record));
  const summaryHeader = ['sample', ...meta, ...ovCols, ...(anyTwoChannel ? ['fraction_marker_positive'] : [])];
  const summaryRows: string[][] = [];
  const perSample: { sample: string; condition: string; nCells: number; nPositive: number }[] = [];
  const iCells = ovCols.indexOf('n_cells');
  const iPos = ovCols.indexOf('n_marker_positive_cells');
  for (const t of tables) {
    const m = metaBySample.get(t.sample) ?? metaOf(t.sample);
    let nCells = 0;
    let nPos = 0;
    for (const r of project(t.overview, ovCols)) {
      const row = [t.sample, ...m, ...r];
      if (anyTwoChannel) {
        const c = iCells === -1 ? NaN : num(r[iCells]);
        const p = iPos === -1 ? NaN : num(r[iPos]);
        row.push(!isSingle(t.record) && c > 0 ? pythonFloatRepr(p / c) : '');
        if (Number.isFinite(c)) nCells += c;
        if (Number.isFinite(p)) nPos += p;
      }
      summaryRows.push(row);
    }
    if (!isSingle(t.record)) perSample.push({ sample: t.sample, condition: t.sample, nCells, nPositive: nPos });
  }

  // experiment_cells
  const cellCols = unionColumns(tables.map((t) => t.cells));
  const cellsHeader = ['sample', ...meta, ...cellCols];
  const cellsRows: string[][] = [];
  for (const t of tables) {
    const m = metaBySample.get(t.sample) ?? metaOf(t.sample);
    for (const r of project(t.cells, cellCols)) cellsRows.push([t.sample, ...m, ...r]);
  }

  // experiment_by_condition
  let byCondition: { header: string[]; rows: string[][] } | null = null;
  const iCond = meta.indexOf('condition');
  if (iCond !== -1) {
    for (const s of perSample) s.condition = metaBySample.get(s.sample)![iCond];
    byCondition = conditionStats(perSample);
    if (tables.some((t) => isSingle(t.record))) notes.push('experiment_by_condition.csv counts two-channel samples only (single-channel samples have no marker-positive cells)');
  }

  // failures
  const failures = samples.filter((s) => s.status !== 'ok').map((s) => [s.sample, s.error ?? 'failed']);
  const failuresHeader = ['sample', 'error'];

  const entries: AtomicEntry[] = [
    { path: join(dir, MERGED_FILES.summary), data: toCsv(summaryHeader, summaryRows) },
    { path: join(dir, MERGED_FILES.cells), data: toCsv(cellsHeader, cellsRows) },
    { path: join(dir, MERGED_FILES.failures), data: toCsv(failuresHeader, failures) },
  ];
  if (byCondition) entries.push({ path: join(dir, MERGED_FILES.byCondition), data: toCsv(byCondition.header, byCondition.rows) });

  const sheets: { name: string; header: string[]; rows: string[][]; text: number }[] = [
    { name: 'experiment_summary', header: summaryHeader, rows: summaryRows, text: 1 + meta.length },
  ];
  if (cellsRows.length + 1 <= EXCEL_MAX_ROWS) sheets.push({ name: 'experiment_cells', header: cellsHeader, rows: cellsRows, text: 1 + meta.length });
  else notes.push(`experiment.xlsx: experiment_cells has ${cellsRows.length} rows, more than an Excel sheet holds (${EXCEL_MAX_ROWS - 1}); it is in experiment_cells.csv only`);
  if (byCondition) sheets.push({ name: 'experiment_by_condition', header: byCondition.header, rows: byCondition.rows, text: 1 });
  sheets.push({ name: 'failures', header: failuresHeader, rows: failures, text: 2 });
  entries.push({ path: join(dir, MERGED_FILES.workbook), data: await encodeStringWorkbook(sheets) });
  const manifest = await buildBatchManifest(dir, sheet, samples, options.runInfo ?? null);
  entries.push({ path: join(dir, MERGED_FILES.manifest), data: JSON.stringify(manifest, null, 2) + '\n' });
  // All merged files replace the previous ones together, or none does.
  await writeFilesAtomically(entries);
  return {
    resultsDir: dir,
    samples,
    files: entries.map((e) => e.path),
    rows: { summary: summaryRows.length, cells: cellsRows.length, byCondition: byCondition?.rows.length ?? null, failures: failures.length },
    notes,
  };
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Cells as typed values: numbers, True/False as booleans, empty as empty; the first `text` columns stay text. */
function sheetOf(name: string, header: string[], rows: string[][], text: number): SheetWriter {
  const sheet = new SheetWriter(name);
  sheet.beginRow();
  for (const h of header) sheet.text(h);
  sheet.endRow();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    sheet.beginRow();
    for (let c = 0; c < r.length; c++) {
      const v = r[c];
      if (c < text) sheet.text(v);
      else if (v === '') sheet.empty();
      else if (v === 'True' || v === 'False') sheet.boolean(v === 'True');
      else if (NUMBER.test(v)) sheet.number(Number(v));
      else sheet.text(v);
    }
    sheet.endRow();
  }
  return sheet;
}

async function encodeStringWorkbook(sheets: { name: string; header: string[]; rows: string[][]; text: number }[]): Promise<Uint8Array> {
  return encodeXlsx(sheets.map((s) => sheetOf(s.name, s.header, s.rows, s.text)));
}

async function buildBatchManifest(
  dir: string,
  sheet: SheetRecord,
  samples: MergeSampleStatus[],
  runInfo: Record<string, unknown> | null,
): Promise<Record<string, unknown>> {
  let previousRun: unknown = null;
  if (!runInfo) {
    try {
      previousRun = (JSON.parse(await readFile(join(dir, MERGED_FILES.manifest), 'utf8')) as Record<string, unknown>).lastBatchRun ?? null;
    } catch {
      previousRun = null;
    }
  }
  const counts = { ok: 0, failed: 0, missing: 0 };
  for (const s of samples) counts[s.status]++;
  return {
    batchManifestSchemaVersion: 1,
    mergedAt: new Date().toISOString(),
    sheet: sheet.sheet,
    baseConfig: sheet.baseConfig,
    version: sheet.version,
    counts,
    samples: samples.map((s) => ({
      sample: s.sample,
      status: s.status,
      error: s.error,
      configHash: s.record?.configHash ?? null,
      version: s.record?.version ?? null,
      inputs: s.record?.inputs.map((i) => ({ path: i.path, sha256: i.sha256, sizeBytes: i.sizeBytes })) ?? [],
      timings: s.record?.timings ?? null,
      workerPeakRssMiB: s.record?.workerPeakRssMiB ?? null,
    })),
    lastBatchRun: runInfo ?? previousRun,
  };
}
