/**
 * The sample sheet (issue 14.1): a CSV with a header; `sample` (unique, `[A-Za-z0-9._-]+`), either `image` (one
 * multi-channel file) or `channel_0`, `channel_1`, … (single-channel files stacked in that order), metadata columns
 * carried into the merged tables (a sheet may hold both columns, each row filling one), and `config.<section>.<field>` overrides. Relative paths resolve against the
 * sheet's folder.
 *
 * `loadSampleSheet` is the one entry point that turns a sheet source into sample rows; it checks the sheet's own
 * structure (syntax, columns, names, duplicates, missing files) and returns every problem, one line each,
 * `samples.csv:3: …` (line numbers of the file, the header being line 1). Reading the images is the samples' work
 * (a corrupt image fails its own sample), so only the files' existence is checked here. Other sheet sources (an
 * OME-Zarr plate) will return the same rows from the same function.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isPlateStore, plateSheet } from './plate-sheet.js';
import { isZarrPath } from '../io/zarr/zarr-path.js';
import { homedir } from 'node:os';
import { parse } from 'csv-parse/sync';

/** Sample names become folder names: portable characters only. */
export const SAMPLE_NAME = /^[A-Za-z0-9._-]+$/;
const CHANNEL_COLUMN = /^channel_(\d+)$/;
const OVERRIDE_PREFIX = 'config.';
/** Columns the merged tables add themselves: a metadata column with one of these names would be ambiguous. */
const RESERVED_METADATA = new Set(['sample', 'roi_id', 'fraction_marker_positive', 'error', 'status']);
/** Config keys that the sheet itself sets per sample (image) or the batch owns (results folder). */
const FORBIDDEN_OVERRIDES = new Set(['image', 'results_dir']);

export interface ConfigOverride {
  /** The column name, e.g. `config.colocalization_config.min_overlap_voxels`. */
  column: string;
  /** Key path inside the config, e.g. `['colocalization_config', 'min_overlap_voxels']`. */
  path: string[];
  /** The cell as written (parsed as a YAML scalar/flow value when the config is built). */
  raw: string;
}

export interface SampleRow {
  sample: string;
  /** Line of the sheet where the row starts (1 = header). */
  line: number;
  /** Absolute input paths: one multi-channel file, or single-channel files in channel order. */
  images: string[];
  /** As written in the sheet (relative paths kept), for messages and the merged provenance. */
  imagesAsWritten: string[];
  imageKind: 'image' | 'channels';
  /** Metadata values by column, in `SampleSheet.metadataColumns` order. */
  metadata: Record<string, string>;
  /** Non-empty override cells of this row. */
  overrides: ConfigOverride[];
}

export interface SampleSheet {
  /** Absolute path of the sheet file. */
  path: string;
  /** What `batch` was given when it is not `path`: the OME-Zarr plate the sheet was derived from (absolute). */
  source?: string;
  /** How messages name the sheet (the path as the user gave it). */
  label: string;
  sha256: string;
  metadataColumns: string[];
  overrideColumns: string[];
  rows: SampleRow[];
}

export interface SheetLoadResult {
  sheet: SampleSheet | null;
  /** One line each, `samples.csv:3: …`; empty = the sheet is usable. */
  problems: string[];
}

const show = (v: string) => JSON.stringify(v);

function expandPath(baseDir: string, p: string): string {
  const e = p === '~' ? homedir() : p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : p;
  return isAbsolute(e) ? resolve(e) : resolve(baseDir, e);
}

/** Loads a sample sheet (a CSV file; the one function any later sheet source goes through). */
export async function loadSampleSheet(source: string, options: { label?: string } = {}): Promise<SheetLoadResult> {
  const path = resolve(source);
  const label = options.label ?? source;
  let bytes: Buffer;
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      // An OME-Zarr HCS plate is a sheet of its own: one sample per well field (plate-sheet.ts).
      if (await isPlateStore(path)) {
        try {
          const { csv } = await plateSheet(path, null);
          // The sheet "lives" beside the plate (`<plate>.csv`): default results folder `<plate>_results` beside it.
          const r = await parseSampleSheet(csv, { path: `${path.replace(/[\\/]+$/, '').replace(/\.ome\.zarr$|\.zarr$/i, '')}.csv`, label, sha256: createHash('sha256').update(csv).digest('hex') });
          if (r.sheet) r.sheet.source = path; // the workflow's jobs call `batch` on the plate, not on the virtual sheet
          return r;
        } catch (err) {
          return { sheet: null, problems: [(err as Error).message] };
        }
      }
      return { sheet: null, problems: [`${label}: expected a sample sheet (CSV file) or an OME-Zarr plate, got a folder`] };
    }
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { sheet: null, problems: [`${label}: ${code === 'ENOENT' ? 'sample sheet not found' : `cannot read the sample sheet (${code ?? err})`}`] };
  }
  return parseSampleSheet(bytes.toString('utf8'), { path, label, sha256: createHash('sha256').update(bytes).digest('hex') });
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

/** Parses and checks sheet text (exported for tests); `path` decides where relative file names resolve. */
export async function parseSampleSheet(text: string, where: { path: string; label: string; sha256: string }): Promise<SheetLoadResult> {
  const { label } = where;
  const baseDir = dirname(where.path);
  let records: ParsedRecord[];
  try {
    records = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      comment: '#',
      comment_no_infix: true,
      info: true,
    }) as unknown as ParsedRecord[];
  } catch (err) {
    const e = err as Error & { lines?: number };
    const msg = e.message.replace(/^Invalid Record Length: /, '').replace(/\s+/g, ' ').replace(/ at line \d+\.?$/, '');
    return { sheet: null, problems: [`${label}${e.lines ? `:${e.lines}` : ''}: invalid CSV: ${msg}`] };
  }
  if (records.length === 0) return { sheet: null, problems: [`${label}: empty sample sheet: expected a header line (sample,image,…) and one line per sample`] };
  const problems: string[] = [];
  const header = records[0].record;
  const headerLine = records[0].info.lines;
  const at = (line: number) => `${label}:${line}`;

  // --- header
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') problems.push(`${at(headerLine)}: column ${i + 1} has no name`);
    else if (seen.has(name)) problems.push(`${at(headerLine)}: column ${show(name)} appears twice (columns ${seen.get(name)! + 1} and ${i + 1})`);
    else seen.set(name, i);
  });
  if (!seen.has('sample')) problems.push(`${at(headerLine)}: expected a "sample" column, got columns ${header.map(show).join(', ')}`);
  const channelCols: [number, number][] = [];
  for (const [name, i] of seen) {
    const m = CHANNEL_COLUMN.exec(name);
    if (m) channelCols.push([Number(m[1]), i]);
  }
  channelCols.sort((a, b) => a[0] - b[0]);
  const hasImage = seen.has('image');
  if (!hasImage && channelCols.length === 0) {
    problems.push(`${at(headerLine)}: expected an "image" column (one multi-channel file) or "channel_0", "channel_1", … columns (single-channel files), got neither`);
  }
  channelCols.forEach(([c], k) => {
    if (c !== k) problems.push(`${at(headerLine)}: channel columns must be channel_0, channel_1, … without gaps, got ${channelCols.map(([n]) => `channel_${n}`).join(', ')}`);
  });
  const overrideColumns: string[] = [];
  const metadataColumns: string[] = [];
  for (const name of seen.keys()) {
    if (name === 'sample' || name === 'image' || CHANNEL_COLUMN.test(name)) continue;
    if (name.startsWith(OVERRIDE_PREFIX)) {
      const path = name.slice(OVERRIDE_PREFIX.length).split('.');
      if (path.length < 2 || path.some((p) => p === '')) {
        problems.push(`${at(headerLine)}: override column ${show(name)}: expected config.<section>.<field>`);
      } else if (FORBIDDEN_OVERRIDES.has(path[0])) {
        problems.push(`${at(headerLine)}: override column ${show(name)}: ${path[0]} is set by the batch, not per sample`);
      } else overrideColumns.push(name);
    } else if (FORBIDDEN_OVERRIDES.has(name) && name !== 'image') {
      problems.push(`${at(headerLine)}: column ${show(name)}: the batch sets the results folder (--results-dir), remove the column`);
    } else if (RESERVED_METADATA.has(name)) {
      problems.push(`${at(headerLine)}: metadata column ${show(name)} clashes with a column of the merged tables; rename it`);
    } else metadataColumns.push(name);
  }
  if (problems.length > 0) return { sheet: null, problems };

  // --- rows
  const col = (name: string) => seen.get(name)!;
  const rows: SampleRow[] = [];
  const firstLine = new Map<string, number>();
  const firstLower = new Map<string, [string, number]>();
  const fileChecks: Promise<void>[] = [];
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    if (record.length !== header.length) {
      problems.push(`${at(line)}: expected ${header.length} fields (as the header), got ${record.length}`);
      continue;
    }
    const sample = record[col('sample')];
    const who = `sample ${show(sample)}`;
    if (sample === '') {
      problems.push(`${at(line)}: sample: expected a name of letters, digits, '.', '_' or '-', got an empty cell`);
      continue;
    }
    if (!SAMPLE_NAME.test(sample) || sample === '.' || sample === '..') {
      problems.push(`${at(line)}: sample: expected a name of letters, digits, '.', '_' or '-' (it becomes a folder name), got ${show(sample)}`);
      continue;
    }
    if (firstLine.has(sample)) {
      problems.push(`${at(line)}: sample ${show(sample)} appears twice (first on line ${firstLine.get(sample)})`);
      continue;
    }
    const lower = sample.toLowerCase();
    if (firstLower.has(lower)) {
      const [other, l] = firstLower.get(lower)!;
      problems.push(`${at(line)}: sample ${show(sample)} differs from ${show(other)} (line ${l}) only in letter case: they would share a folder on macOS and Windows`);
      continue;
    }
    firstLine.set(sample, line);
    firstLower.set(lower, [sample, line]);

    // Each row gives either `image` or `channel_0, channel_1, …` (a sheet may mix both kinds of samples).
    const imageCell = hasImage ? record[col('image')] : '';
    const cells = channelCols.map(([, i]) => record[i]);
    const n = cells.findIndex((c) => c === '');
    const used = n === -1 ? cells : cells.slice(0, n);
    let written: string[];
    if (imageCell !== '' && used.length > 0) {
      problems.push(`${at(line)}: ${who}: expected either image or channel_0, channel_1, …, got both`);
      continue;
    }
    if (imageCell !== '') written = [imageCell];
    else {
      if (used.length === 0) {
        const what = hasImage && channelCols.length > 0 ? 'image or channel_0' : hasImage ? 'image' : 'channel_0';
        problems.push(`${at(line)}: ${who}: ${what}: expected a file name, got an empty cell`);
        continue;
      }
      const gap = cells.slice(used.length).findIndex((c) => c !== '');
      if (gap !== -1) {
        problems.push(`${at(line)}: ${who}: channel_${used.length} is empty but channel_${used.length + gap} is set: channels must be consecutive from channel_0`);
        continue;
      }
      written = used;
    }
    const isImage = imageCell !== '';
    const images = written.map((w) => expandPath(baseDir, w));
    images.forEach((abs, k) => {
      const key = isImage ? 'image' : `channel_${k}`;
      fileChecks.push(
        stat(abs).then(
          async (st) => {
            // `image` may be an OME-Zarr image (a folder with NGFF metadata); its metadata is read by the sample.
            if (st.isDirectory() && !(isImage && (await isZarrPath(abs)))) {
              problems.push(`${at(line)}: ${who}: ${key}: expected an image file${isImage ? ' or an OME-Zarr image' : ''}, got a folder ${show(written[k])}`);
            }
          },
          () => {
            problems.push(`${at(line)}: ${who}: ${key}: file not found: ${show(written[k])}${written[k] === abs ? '' : ` (looked for ${abs})`}`);
          },
        ),
      );
    });
    const metadata: Record<string, string> = {};
    for (const m of metadataColumns) metadata[m] = record[col(m)];
    const overrides: ConfigOverride[] = [];
    for (const o of overrideColumns) {
      const raw = record[col(o)];
      if (raw !== '') overrides.push({ column: o, path: o.slice(OVERRIDE_PREFIX.length).split('.'), raw });
    }
    rows.push({ sample, line, images, imagesAsWritten: written, imageKind: isImage ? 'image' : 'channels', metadata, overrides });
  }
  await Promise.all(fileChecks);
  if (rows.length === 0 && problems.length === 0) problems.push(`${label}: no samples: expected one line per sample after the header`);
  // File checks finish in any order: report in line order (stable sort keeps a line's own order).
  problems.sort((a, b) => lineOf(a) - lineOf(b));
  return { sheet: { path: where.path, label, sha256: where.sha256, metadataColumns, overrideColumns, rows }, problems };
}

function lineOf(problem: string): number {
  const m = /^.*?:(\d+): /.exec(problem);
  return m ? Number(m[1]) : 0;
}
