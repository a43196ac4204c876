/**
 * What a report knows about one run: its folder's `<stem>_run_manifest.json` and the tables the run wrote,
 * read back from the files alone (no re-analysis). Covers the two-channel workflow (with or without the
 * third channel), crop runs (their own `crop_…/` folder, same layout) and single-channel counting runs.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../core/errors.js';
import { hasColumn, readCsvTable, type CsvTable } from './csv-table.js';

export const MANIFEST_SUFFIX = '_run_manifest.json';

export type RunKind = 'colocalization' | 'single_channel';

/** The parts of the manifest the report reads (written by src/export/manifest.ts). */
export interface RunManifest {
  createdAt?: string;
  package?: { name?: string; version?: string | null };
  inputs?: { path: string; sizeBytes: number | null; sha256: string | null }[];
  image?: {
    rawShapeTzcyx?: number[] | null;
    analysedShapeZyx?: number[] | null;
    dtype?: string | null;
    channelNames?: string[] | null;
    timePoint?: number | null;
    cropForTesting?: [[number, number], [number, number], [number, number]] | null;
  };
  voxelSize?: { zyxUm: [number, number, number]; source: string };
  zStack?: { zCrop?: [number, number] | null; zProjection?: string | null; note?: string } | null;
  warnings?: string[];
  config: Record<string, any>;
  roiIds?: number[] | null;
  thresholds?: Record<string, { roiId: number; box?: { yMin: number; yMax: number; xMin: number; xMax: number }; info?: Record<string, unknown> }[]>;
  filterSteps?: { channel: string; step: string; nIn: number; nOut: number; removedLabels: number[] }[];
  timingsMs?: { stage: string; ms: number }[];
  outputs?: ({ file: string; bytes: number | null } | string)[];
}

export interface RunFolder {
  dir: string;
  stem: string;
  manifestPath: string;
  manifest: RunManifest;
  kind: RunKind;
  /** Present tables by sheet name: `cell_summary` and `roi_coloc_overview`, or `single_channel_objects` and `roi_overview`. */
  tables: Map<string, CsvTable>;
  /** Label TIFFs present in the folder, by role. */
  masks: { cell?: string; marker?: string; positive?: string; region?: string; objects?: string; rois?: string };
  /** Issue 19's intensity-correlation tables, when the run wrote them. */
  intensity: { roi?: CsvTable; cell?: CsvTable };
}

/** `<stem>_run_manifest.json` files directly in `dir`, sorted. */
export async function listRunManifests(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw inputError(`${dir}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  return names.filter((n) => n.endsWith(MANIFEST_SUFFIX) && !n.startsWith('.')).sort();
}

// Only the tables a report draws from (the per-marker and per-ROI summary tables are not shown: parsing them cost
// a 2048² run's report a few ms for nothing).
const COLOC_SHEETS = ['cell_summary', 'roi_coloc_overview'];
const SINGLE_SHEETS: Record<string, string> = { single_channel_objects: 'single_channel_objects', roi_overview: 'roi_overview' };

/**
 * `only`: parse just these tables (an experiment report needs a sample's overview, not its per-cell tables);
 * the others must still be there but are not read, and `intensity` stays empty.
 */
export async function readRunFolder(dir: string, stem?: string, opts: { only?: readonly string[] } = {}): Promise<RunFolder> {
  const manifests = await listRunManifests(dir);
  let name: string;
  if (stem !== undefined) {
    name = `${stem}${MANIFEST_SUFFIX}`;
    if (!manifests.includes(name)) throw inputError(`${join(dir, name)}: no such run manifest (the folder has ${manifests.join(', ') || 'none'})`);
  } else if (manifests.length === 1) {
    name = manifests[0];
  } else if (manifests.length === 0) {
    throw inputError(`${dir}: no <stem>${MANIFEST_SUFFIX} here (expected the results folder of one \`cellcoloc run\`, or an experiment folder with batch_manifest.json)`);
  } else {
    throw inputError(`${dir}: ${manifests.length} run manifests (${manifests.join(', ')}): name the run with --stem`);
  }
  const resolvedStem = name.slice(0, -MANIFEST_SUFFIX.length);
  const manifestPath = join(dir, name);
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as RunManifest;
  } catch (err) {
    throw inputError(`${manifestPath}: not a readable run manifest (${(err as Error).message})`, err);
  }
  if (!manifest || typeof manifest !== 'object' || !manifest.config || typeof manifest.config !== 'object') {
    throw inputError(`${manifestPath}: not a run manifest (expected an object with a "config" entry)`);
  }
  const kind: RunKind = manifest.config.single_channel_config ? 'single_channel' : 'colocalization';
  const f = (suffix: string) => join(dir, `${resolvedStem}_${suffix}`);
  const tables = new Map<string, CsvTable>();
  const sheetFiles: [string, string][] =
    kind === 'single_channel'
      ? Object.entries(SINGLE_SHEETS).map(([sheet, file]) => [sheet, f(`${file}.csv`)])
      : COLOC_SHEETS.map((s) => [s, f(`${s}.csv`)]);
  const wanted = (sheet: string) => !opts.only || opts.only.includes(sheet);
  await Promise.all(
    sheetFiles.map(async ([sheet, path]) => {
      if (wanted(sheet) && existsSync(path)) tables.set(sheet, await readCsvTable(path));
    }),
  );
  const required = kind === 'single_channel' ? ['single_channel_objects', 'roi_overview'] : ['cell_summary', 'roi_coloc_overview'];
  for (const r of required) {
    if (wanted(r) ? !tables.has(r) : !existsSync(f(`${r}.csv`))) throw inputError(`${f(`${r}.csv`)}: missing (the run's table is needed for the report)`);
  }
  const present = (p: string) => (existsSync(p) ? p : undefined);
  const masks: RunFolder['masks'] =
    kind === 'single_channel'
      ? { objects: present(f('single_channel_masks.tif')), rois: present(f('roi_labelmask.tif')) }
      : {
          cell: present(f('cell_masks.tif')),
          marker: present(f('marker_masks.tif')),
          positive: present(f('positive_cell_masks.tif')),
          region: present(f('region_mask.tif')),
          rois: present(f('roi_labelmask.tif')),
        };
  const intensity: RunFolder['intensity'] = {};
  const roiI = f('roi_intensity_colocalization.csv');
  const cellI = f('cell_intensity_colocalization.csv');
  if (!opts.only && existsSync(roiI)) intensity.roi = await readCsvTable(roiI);
  if (!opts.only && existsSync(cellI)) intensity.cell = await readCsvTable(cellI);
  return { dir, stem: resolvedStem, manifestPath, manifest, kind, tables, masks, intensity };
}

/** Run-level facts every report shows, normalised over the two workflows. */
export interface RunFacts {
  is3d: boolean;
  voxelZyxUm: [number, number, number];
  /** Unit of the size plots (`µm²` or `µm³`). */
  sizeUnit: string;
  /** µm² or µm³ of one voxel, as the size columns use them. */
  voxelMeasure: number;
  /** Whether the third channel's positivity columns are in `cell_summary`. */
  thirdChannelPositivity: boolean;
  positivityRule: 'best_object' | 'union';
}

export function runFacts(run: RunFolder): RunFacts {
  const m = run.manifest;
  const shape = m.image?.analysedShapeZyx ?? null;
  const projected = !!m.zStack?.zProjection;
  const is3d = !!shape && shape[0] > 1 && !projected;
  const v = m.voxelSize?.zyxUm ?? [1, 1, 1];
  const voxelZyxUm: [number, number, number] = [v[0], v[1], v[2]];
  // Tables of a z-projected run use z = 1 µm (Q24); 2D areas use y·x.
  const voxelMeasure = is3d ? voxelZyxUm[0] * voxelZyxUm[1] * voxelZyxUm[2] : voxelZyxUm[1] * voxelZyxUm[2];
  const cs = run.tables.get('cell_summary');
  return {
    is3d,
    voxelZyxUm,
    sizeUnit: is3d ? 'µm³' : 'µm²',
    voxelMeasure,
    thirdChannelPositivity: !!cs && hasColumn(cs, 'best_optional_region_overlap_fraction'),
    positivityRule: m.config.colocalization_config?.positivity_rule === 'union' ? 'union' : 'best_object',
  };
}
