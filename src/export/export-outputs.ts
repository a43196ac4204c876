/**
 * `exportAnalysisOutputs` (spec 8.1, with fixes for Q39): CSVs (one per sheet), uint32 label-mask TIFFs
 * `(Z, Y, X)` with physical size, the ROI label TIFF (uint16, 2D), the workbook and the run manifest.
 *
 * The TIFF planes are deflated on libuv's thread pool (started by the run itself where it can, tiffs-ahead.ts) while
 * the main thread builds the CSVs and the workbook; each file goes to a temporary name as soon as it is encoded, and
 * all are renamed only once every file is complete (`AtomicFileBatch`), so a failed export leaves the previous
 * results untouched.
 * CSV and TIFF bytes depend only on the data (no timestamps): the same input gives identical files.
 */
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LabelVolume, RoiLabels, Volume } from '../core/volume.js';
import type { Table } from '../core/table.js';
import { isCellColocError } from '../core/errors.js';
import type { TiffVoxelData } from '../io/tiff-writer.js';
import { baseTiffOptions, maskTiffOptions, type TiffsAhead } from './tiffs-ahead.js';
import { encodeLabelTiffAsync, type LabelArrayRuns } from './label-tiff.js';
import { encodeRoiLabelsTiffAsync } from './placed-tiff.js';
import { streamedPlacedTiff, streamedRoiLabelsTiff } from './placed-tiff-stream.js';
import { AtomicFileBatch, exportError, isStreamed, type FileData, type StreamedContent } from '../io/atomic-write.js';
import { tableToCsv } from './csv.js';
import { encodeWorkbook } from './xlsx.js';
import { serializeManifest, type Manifest } from './manifest.js';
import { csvPathForSheet, type ResultsPaths } from './results-paths.js';

export interface AnalysisOutputs {
  cellMasks: LabelVolume;
  markerMasks: LabelVolume;
  positiveCellMasks: LabelVolume;
  /** Third-channel labels (`{stem}_region_mask.tif`), when the run had them (spec 8.1 step 3). */
  optionalRegionMasks?: LabelVolume | null;
  /** Sheets in workbook order (spec 7.6); each also becomes a CSV. */
  tables: readonly Table[];
  /** Written as `{stem}_roi_labelmask.tif` (fix Q39: the original never saved whole-image ROIs); null → skipped. */
  roiLabels: RoiLabels | null;
  /** Label runs of mask arrays already scanned (the tables' measurement passes): those masks are not scanned again. */
  labelRuns?: readonly LabelArrayRuns[];
}

export interface ExportOptions {
  /** `[z, y, x]` µm, stored in every TIFF (OME-XML + resolution tags). */
  voxelSizeUm: readonly [number, number, number];
  /** Run manifest; its `outputs` field is replaced by the files actually written. null → no manifest file. */
  manifest?: Manifest | null;
  /** TIFF compression (default `deflate`: label masks are mostly runs of zeros). */
  compression?: 'none' | 'deflate';
  /**
   * zlib level for the TIFFs (default 1: label masks are long zero runs; on a 40×1024² uint32 mask level 1
   * took 0.21 s for 2.4 MB, level 6 0.65 s for 1.0 MB, 168 MB raw — 2-core machine, thread pool).
   */
  deflateLevel?: number;
  /** Write the xlsx workbook (default true). */
  workbook?: boolean;
  /** TIFFs the run started encoding ahead of the export (tiffs-ahead.ts); a raster found there is not encoded again. */
  tiffsAhead?: TiffsAhead | null;
}

export interface WrittenFile {
  path: string;
  bytes: number;
}

function byteLength(data: Exclude<FileData, StreamedContent>): number {
  if (typeof data === 'string') return Buffer.byteLength(data, 'utf8');
  if (data instanceof Uint8Array) return data.byteLength;
  let n = 0;
  for (const c of data) n += c.byteLength;
  return n;
}

export async function exportAnalysisOutputs(
  result: AnalysisOutputs,
  paths: ResultsPaths,
  options: ExportOptions,
): Promise<WrittenFile[]> {
  const masks: ResultFiles['masks'] = [
    { path: paths.cellMaskPath, volume: result.cellMasks },
    { path: paths.markerMaskPath, volume: result.markerMasks },
    { path: paths.positiveCellMaskPath, volume: result.positiveCellMasks },
  ];
  if (result.optionalRegionMasks) masks.push({ path: paths.optionalRegionMaskPath, volume: result.optionalRegionMasks });
  return writeResultFiles(
    {
      masks,
      roiLabels: result.roiLabels,
      csvs: result.tables.map((table) => ({ path: csvPathForSheet(paths, table.name), table })),
      workbook: { path: paths.excelPath, tables: result.tables },
      labelRuns: result.labelRuns,
    },
    paths,
    options,
  );
}

/** What one workflow writes (spec 8): label TIFFs, the ROI labels, one CSV per sheet, the workbook. */
export interface ResultFiles {
  masks: { path: string; volume: Volume<TiffVoxelData> }[];
  /** null → no ROI label TIFF. */
  roiLabels: RoiLabels | null;
  csvs: { path: string; table: Table }[];
  workbook: { path: string; tables: readonly Table[] };
  /** See `AnalysisOutputs.labelRuns`. */
  labelRuns?: readonly LabelArrayRuns[];
}

/**
 * Encodes every file, then writes them all under temporary names and renames them only when every write
 * succeeded (a failure leaves earlier results intact), the manifest last with the list of files.
 */
export async function writeResultFiles(files: ResultFiles, paths: ResultsPaths, options: ExportOptions): Promise<WrittenFile[]> {
  try {
    await mkdir(paths.resultsDir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way of the folder' : String((err as Error)?.message ?? err);
    throw exportError(`${paths.resultsDir}: cannot create the results folder (${why})`, err);
  }

  const tiff = baseTiffOptions(options);
  const ahead = options.tiffsAhead ?? null;
  // Label masks: uint16 when the largest label fits, else uint32 (narrowed plane by plane, label-tiff.ts). Start the
  // TIFF encodes first (unless the run started them already): their deflate work runs on the thread pool while the
  // code below runs. A window run's frame-sized files are streamed from their box into the temporary files instead
  // (placed-tiff-stream.ts); their sizes are known once written.
  const sizes = new Map<string, number>();
  const sized = (path: string, c: StreamedContent | null): Promise<FileData> | null =>
    c && Promise.resolve<FileData>({ stream: async (sink) => (sizes.set(path, await c.stream(sink)), sizes.get(path)!) });
  const tiffJobs: { path: string; job: Promise<FileData> }[] = files.masks.map((m) => {
    const o = maskTiffOptions(m.volume, tiff);
    return {
      path: m.path,
      job: ahead?.take(m.volume, o) ?? sized(m.path, streamedPlacedTiff(m.volume, o)) ?? encodeLabelTiffAsync(m.volume, o, files.labelRuns),
    };
  });
  if (files.roiLabels) {
    const job =
      ahead?.take(files.roiLabels, tiff) ?? sized(paths.roiMaskPath, streamedRoiLabelsTiff(files.roiLabels, tiff)) ?? encodeRoiLabelsTiffAsync(files.roiLabels, tiff);
    tiffJobs.push({ path: paths.roiMaskPath, job });
  }
  // Avoid unhandled rejections while the main thread is busy; errors are rethrown by the await below.
  for (const t of tiffJobs) t.job.catch(() => undefined);

  // each file goes to its temporary name as soon as it is encoded (the CSVs while the workbook is being built)
  const batch = new AtomicFileBatch();
  const written: WrittenFile[] = [];
  const add = (path: string, data: FileData) => {
    batch.add(path, data);
    written.push({ path, bytes: isStreamed(data) ? -1 : byteLength(data) }); // a streamed file's size: once written
  };
  const streamedSizes = () => {
    for (const w of written) if (sizes.has(w.path)) w.bytes = sizes.get(w.path)!;
  };
  try {
    for (const c of files.csvs) add(c.path, tableToCsv(c.table));
    if (options.workbook ?? true) add(files.workbook.path, await encodeWorkbook(files.workbook.tables));
    for (const t of tiffJobs) add(t.path, await t.job);
  } catch (err) {
    await batch.abort();
    if (isCellColocError(err)) throw err;
    throw exportError(`${paths.resultsDir}: could not encode the results (${(err as Error)?.message ?? err})`, err);
  }

  if (options.manifest) {
    // the manifest lists every file with its size: streamed files have theirs once written
    if (written.some((w) => w.bytes < 0)) await batch.settled();
    streamedSizes();
    const outputs = [...written.map((w) => ({ file: basename(w.path), bytes: w.bytes })), { file: basename(paths.manifestPath), bytes: null }];
    const text = serializeManifest({ ...(options.manifest as Manifest), outputs });
    add(paths.manifestPath, text);
  }
  await batch.commit();
  streamedSizes();
  return written;
}
