/**
 * `exportSingleChannelOutputs` (spec 13.4, with the fixes of Q39 as in `export-outputs.ts`):
 *  - `{stem}_single_channel_objects.csv` = sheet `object_summary` (the original's CSV);
 *  - `{stem}_voxel_plausibility_check.csv`, `{stem}_roi_overview.csv` (one CSV per other sheet);
 *  - `{stem}_single_channel_masks.tif`: uint32 labels `(Z, Y, X)` with the physical voxel size (OME-XML);
 *  - `{stem}_roi_labelmask.tif`: the ROI labels (the original saved them only from drawn shapes);
 *  - `{stem}_single_channel_segmentation.xlsx`: sheets `object_summary`, `voxel_plausibility_check`,
 *    `roi_overview` in this order;
 *  - `{stem}_run_manifest.json`.
 * Everything is encoded first, then written under temporary names and renamed (`writeFilesAtomically`):
 * a failed export leaves earlier results untouched.
 */
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import type { Table } from '../core/table.js';
import { isCellColocError } from '../core/errors.js';
import { encodeTiffStackChunksAsync, type TiffWriteOptions } from '../io/tiff-writer.js';
import { exportError, writeFilesAtomically, type AtomicEntry } from './atomic.js';
import { tableToCsv } from './csv.js';
import { encodeWorkbook } from './xlsx.js';
import { serializeManifest, type Manifest } from './manifest.js';
import { csvPathForSheet, type ResultsPaths } from './results-paths.js';
import type { ExportOptions, WrittenFile } from './export-outputs.js';

export interface SingleChannelOutputs {
  masks: LabelVolume;
  /** `object_summary`, `voxel_plausibility_check`, `roi_overview` (workbook order, spec 13.4). */
  tables: { objects: Table; voxelPlausibility: Table; overview: Table };
  /** null → no ROI label TIFF. */
  roiLabels: RoiLabels | null;
}

function byteLength(data: AtomicEntry['data']): number {
  if (typeof data === 'string') return Buffer.byteLength(data, 'utf8');
  if (data instanceof Uint8Array) return data.byteLength;
  let n = 0;
  for (const c of data) n += c.byteLength;
  return n;
}

export async function exportSingleChannelOutputs(
  result: SingleChannelOutputs,
  paths: ResultsPaths,
  options: ExportOptions,
): Promise<WrittenFile[]> {
  try {
    await mkdir(paths.resultsDir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way of the folder' : String((err as Error)?.message ?? err);
    throw exportError(`${paths.resultsDir}: cannot create the results folder (${why})`, err);
  }
  const tiff: TiffWriteOptions = {
    voxelSizeUm: options.voxelSizeUm,
    compression: options.compression ?? 'deflate',
    deflateLevel: options.deflateLevel ?? 1,
    description: 'ome',
  };
  // TIFF deflate runs on the thread pool while the CSVs and the workbook are built below.
  const tiffJobs: { path: string; job: Promise<Uint8Array[]> }[] = [
    { path: paths.singleChannelMaskPath, job: encodeTiffStackChunksAsync(result.masks, tiff) },
  ];
  if (result.roiLabels) {
    const [Y, X] = result.roiLabels.shape;
    tiffJobs.push({ path: paths.roiMaskPath, job: encodeTiffStackChunksAsync({ data: result.roiLabels.data, shape: [1, Y, X] }, tiff) });
  }
  for (const t of tiffJobs) t.job.catch(() => undefined);

  const { objects, voxelPlausibility, overview } = result.tables;
  const sheets = [objects, voxelPlausibility, overview];
  const entries: AtomicEntry[] = [];
  try {
    entries.push({ path: paths.objectCsvPath, data: tableToCsv(objects) });
    entries.push({ path: csvPathForSheet(paths, voxelPlausibility.name), data: tableToCsv(voxelPlausibility) });
    entries.push({ path: csvPathForSheet(paths, overview.name), data: tableToCsv(overview) });
    if (options.workbook ?? true) entries.push({ path: paths.singleChannelExcelPath, data: await encodeWorkbook(sheets) });
    for (const t of tiffJobs) entries.push({ path: t.path, data: await t.job });
  } catch (err) {
    if (isCellColocError(err)) throw err;
    throw exportError(`${paths.resultsDir}: could not encode the results (${(err as Error)?.message ?? err})`, err);
  }

  const written: WrittenFile[] = entries.map((e) => ({ path: e.path, bytes: byteLength(e.data) }));
  if (options.manifest) {
    const outputs = [...written.map((w) => ({ file: basename(w.path), bytes: w.bytes })), { file: basename(paths.manifestPath), bytes: null }];
    const text = serializeManifest({ ...(options.manifest as Manifest), outputs });
    entries.push({ path: paths.manifestPath, data: text });
    written.push({ path: paths.manifestPath, bytes: byteLength(text) });
  }
  await writeFilesAtomically(entries);
  return written;
}
