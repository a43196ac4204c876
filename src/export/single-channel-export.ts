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
import type { LabelVolume, RoiLabels } from '../core/volume.js';
import type { Table } from '../core/table.js';
import { csvPathForSheet, type ResultsPaths } from './results-paths.js';
import { writeResultFiles, type ExportOptions, type WrittenFile } from './export-outputs.js';

export interface SingleChannelOutputs {
  masks: LabelVolume;
  /** `object_summary`, `voxel_plausibility_check`, `roi_overview` (workbook order, spec 13.4). */
  tables: { objects: Table; voxelPlausibility: Table; overview: Table };
  /** null → no ROI label TIFF. */
  roiLabels: RoiLabels | null;
}

export async function exportSingleChannelOutputs(
  result: SingleChannelOutputs,
  paths: ResultsPaths,
  options: ExportOptions,
): Promise<WrittenFile[]> {
  const { objects, voxelPlausibility, overview } = result.tables;
  return writeResultFiles(
    {
      masks: [{ path: paths.singleChannelMaskPath, volume: result.masks }],
      roiLabels: result.roiLabels,
      csvs: [
        { path: paths.objectCsvPath, table: objects },
        { path: csvPathForSheet(paths, voxelPlausibility.name), table: voxelPlausibility },
        { path: csvPathForSheet(paths, overview.name), table: overview },
      ],
      workbook: { path: paths.singleChannelExcelPath, tables: [objects, voxelPlausibility, overview] },
    },
    paths,
    options,
  );
}
