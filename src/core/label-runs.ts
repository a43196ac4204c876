import type { LabelData } from './volume.js';

/**
 * The runs of a label volume: maximal stretches of one non-zero label along x, never crossing a row, in raster
 * (C) order — exactly the non-zero voxels with their labels. Made by the measurement passes' scan
 * (`tables/label-runs.ts`) or, without a scan, by run-length labelling (`segmentation/label.ts`).
 */
export interface LabelRuns {
  /** Number of runs. */
  readonly n: number;
  /** Flat voxel index (C order) of each run's first voxel (float64: stacks may exceed 2^31 voxels). */
  readonly start: Float64Array;
  /** Run length in voxels. */
  readonly length: Int32Array;
  /** The run's label value. */
  readonly label: Float64Array;
}

/** Runs known for one label array: only that very array (`data`, by identity) may use them instead of a scan. */
export interface RunsOfLabels {
  readonly data: LabelData;
  readonly runs: LabelRuns;
}
