/**
 * Result file names (spec 3.5). Pure: computes paths, creates nothing (fix Q39: the original created
 * `results/` while loading the image; here the exporter creates it when it writes).
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { homedir } from 'node:os';

/** `[[z0, z1], [y0, y1], [x0, x1]]`, half-open (runtime_config.crop_for_testing). */
export type CropZyxRanges = readonly [readonly [number, number], readonly [number, number], readonly [number, number]];

export interface ResultsPaths {
  /** Absolute source image path (first file for a stack of single-channel files). */
  sourcePath: string;
  /** Folder every result goes into. */
  resultsDir: string;
  /** File name minus its last suffix (Q20: `x.ome.tif` → `x.ome`). */
  stem: string;
  /** `crop_z…_y…_x…` when `crop_for_testing` is set, else null. */
  cropTag: string | null;
  roiMaskPath: string;
  /** `{stem}_cell_colocalization.csv` = the `detailed_overlaps` sheet (as the original). */
  detailedCsvPath: string;
  excelPath: string;
  cellMaskPath: string;
  markerMaskPath: string;
  positiveCellMaskPath: string;
  optionalRegionMaskPath: string;
  manifestPath: string;
  /** Single-channel workflow (spec 13.4). */
  objectCsvPath: string;
  singleChannelExcelPath: string;
  singleChannelMaskPath: string;
}

/** Sheet whose CSV keeps the original's name `{stem}_cell_colocalization.csv`. */
export const DETAILED_SHEET = 'detailed_overlaps';

/** `crop_z<z0>-<z1>_y<y0>-<y1>_x<x0>-<x1>` */
export function cropTag(crop: CropZyxRanges): string {
  const [[z0, z1], [y0, y1], [x0, x1]] = crop;
  return `crop_z${z0}-${z1}_y${y0}-${y1}_x${x0}-${x1}`;
}

function expandUser(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return p;
}

export function buildResultsPaths(
  sourcePath: string,
  options: { resultsDir?: string | null; cropForTesting?: CropZyxRanges | null } = {},
): ResultsPaths {
  const source = resolve(expandUser(sourcePath));
  const name = basename(source);
  // Python's Path.stem: strip only the last suffix; a leading dot is not a suffix (`.hidden` stays, node's
  // extname agrees).
  const ext = extname(name);
  // A trailing dot alone (`a.`) is not a suffix either (Python < 3.14).
  const stem = ext.length > 1 ? name.slice(0, name.length - ext.length) : name;
  const base = options.resultsDir ? resolve(expandUser(options.resultsDir)) : join(dirname(source), 'results');
  const tag = options.cropForTesting ? cropTag(options.cropForTesting) : null;
  // fix Q22: a cropped run writes into its own sub-folder and never overwrites (or reuses) full-run files.
  const dir = tag ? join(base, tag) : base;
  const f = (suffix: string) => join(dir, `${stem}_${suffix}`);
  return {
    sourcePath: source,
    resultsDir: dir,
    stem,
    cropTag: tag,
    roiMaskPath: f('roi_labelmask.tif'),
    detailedCsvPath: f('cell_colocalization.csv'),
    excelPath: f('cell_colocalization.xlsx'),
    cellMaskPath: f('cell_masks.tif'),
    markerMaskPath: f('marker_masks.tif'),
    positiveCellMaskPath: f('positive_cell_masks.tif'),
    optionalRegionMaskPath: f('region_mask.tif'),
    manifestPath: f('run_manifest.json'),
    objectCsvPath: f('single_channel_objects.csv'),
    singleChannelExcelPath: f('single_channel_segmentation.xlsx'),
    singleChannelMaskPath: f('single_channel_masks.tif'),
  };
}

/**
 * CSV path of a sheet: `{stem}_cell_colocalization.csv` for `detailed_overlaps` (the original's only CSV),
 * `{stem}_<sheet>.csv` for every other sheet (`cell_summary`, `marker_properties`, `roi_coloc_overview`, …).
 */
export function csvPathForSheet(paths: ResultsPaths, sheet: string): string {
  if (sheet === DETAILED_SHEET) return paths.detailedCsvPath;
  return join(paths.resultsDir, `${paths.stem}_${sheet}.csv`);
}
