/**
 * Groups the voxels of the intensity channels by ROI and by (ROI, cell) pair in two passes over the labels
 * (count, then scatter), so that every later statistic runs over one contiguous segment per group and no
 * group ever scans the whole image (issue 19.5; the same idea as `tables/object-measurements.ts`).
 *
 * - ROI group k: every voxel of polygon(k) (the 2D ROI raster broadcast over z) in the analysed planes
 *   `[z0, z1)` — cells or not.
 * - (ROI k, cell c) group: the voxels of cell c inside polygon(k) in the analysed planes — the same
 *   membership rule as `cell_summary` (see `tables/index.ts`): a cell touching two ROIs has one group in
 *   each, over its part inside that ROI.
 *
 * Values are copied into arrays of the channel's own type (exact, no float64 blow-up: a uint16 channel
 * costs 2 bytes per grouped voxel). Rows are ordered by ROI id, then cell label.
 */
import { valueError } from '../../core/errors.js';
import { formatShape, sameShape, type LabelVolume, type RoiLabels, type Volume, type VoxelData } from '../../core/volume.js';
import { resolveZRange } from '../../roi/roi-index.js';

/** Voxel values of several channels, grouped: group g is `[offsets[g], offsets[g + 1])` of every `values[c]`. */
export interface VoxelGroups {
  readonly values: VoxelData[];
  /** Length `n + 1`. */
  readonly offsets: Float64Array;
  readonly n: number;
}

export interface RoiAndCellGroups {
  /** ROI ids with at least one voxel in the analysed planes, ascending; group g of `rois` is `roiIds[g]`. */
  readonly roiIds: Float64Array;
  readonly rois: VoxelGroups;
  /** (ROI id, cell label) of each cell group, ordered by ROI then label. */
  readonly cellRoiIds: Float64Array;
  readonly cellLabels: Float64Array;
  /** Index into `roiIds` of each cell group's ROI. */
  readonly cellRoiGroup: Int32Array;
  readonly cells: VoxelGroups;
}

type VoxelArrayCtor = new (n: number) => VoxelData;

/**
 * `channels`: the intensity volumes (same shape); `cellLabels`: the cell label volume (zero outside the analysed
 * planes or not); `roi`: `[Y, X]` raster; `zBounds`: `[z0, z1)` or null for all planes.
 */
export function groupVoxelsByRoiAndCell(
  channels: readonly Volume[],
  cellLabels: LabelVolume,
  roi: RoiLabels,
  zBounds: readonly [number, number] | null,
): RoiAndCellGroups {
  const shape = cellLabels.shape;
  const [Z, Y, X] = shape;
  for (const ch of channels) {
    if (!sameShape(ch.shape, shape)) {
      throw valueError(`intensity image shape ${formatShape(ch.shape)} does not match the cell label image shape ${formatShape(shape)}`);
    }
  }
  if (roi.shape[0] !== Y || roi.shape[1] !== X) {
    throw valueError(`ROI label image shape ${formatShape(roi.shape)} does not match the image plane ${formatShape([Y, X])}`);
  }
  const [z0, z1] = resolveZRange(zBounds, Z);
  const labels = cellLabels.data;
  const roiData = roi.data;
  const plane = Y * X;

  // pass 1: counts per ROI and per (ROI, cell) pair; pair ids through a Map keyed label * 65536 + roi (< 2^48,
  // exact in a double), looked up once per run of equal (roi, label) along x
  const roiCount = new Float64Array(65536);
  const pairIndex = new Map<number, number>();
  const pairCount: number[] = [];
  for (let z = z0; z < z1; z++) {
    const zOff = z * plane;
    let lastKey = -1;
    let lastPair = -1;
    for (let p = 0; p < plane; p++) {
      const r = roiData[p];
      if (r === 0) continue;
      roiCount[r]++;
      const c = labels[zOff + p];
      if (c === 0) continue;
      const key = c * 65536 + r;
      if (key !== lastKey) {
        lastKey = key;
        let k = pairIndex.get(key);
        if (k === undefined) {
          k = pairCount.length;
          pairIndex.set(key, k);
          pairCount.push(0);
        }
        lastPair = k;
      }
      pairCount[lastPair]++;
    }
  }

  // ROI groups in id order
  const roiIds: number[] = [];
  const roiGroupOf = new Int32Array(65536).fill(-1);
  for (let r = 1; r < 65536; r++) {
    if (roiCount[r] > 0) {
      roiGroupOf[r] = roiIds.length;
      roiIds.push(r);
    }
  }
  const roiOffsets = new Float64Array(roiIds.length + 1);
  for (let g = 0; g < roiIds.length; g++) roiOffsets[g + 1] = roiOffsets[g] + roiCount[roiIds[g]];

  // cell groups ordered by (roi, label): sort the pair keys, then map first-seen index → row
  const keys = Float64Array.from(pairIndex.keys());
  const pairRoi = new Float64Array(keys.length);
  const pairLabel = new Float64Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    pairRoi[k] = keys[k] % 65536;
    pairLabel[k] = Math.floor(keys[k] / 65536);
  }
  const order = Array.from({ length: keys.length }, (_, k) => k).sort((a, b) => pairRoi[a] - pairRoi[b] || pairLabel[a] - pairLabel[b]);
  const rowOfPair = new Int32Array(keys.length);
  const cellRoiIds = new Float64Array(keys.length);
  const cellLabelsOut = new Float64Array(keys.length);
  const cellRoiGroup = new Int32Array(keys.length);
  const cellOffsets = new Float64Array(keys.length + 1);
  const firstSeen = new Int32Array(keys.length);
  {
    let k = 0;
    for (const v of pairIndex.values()) firstSeen[k++] = v;
  }
  for (let row = 0; row < order.length; row++) {
    const k = order[row];
    rowOfPair[firstSeen[k]] = row;
    cellRoiIds[row] = pairRoi[k];
    cellLabelsOut[row] = pairLabel[k];
    cellRoiGroup[row] = roiGroupOf[pairRoi[k]];
    cellOffsets[row + 1] = cellOffsets[row] + pairCount[firstSeen[k]];
  }

  // pass 2: scatter every channel's values into its groups
  const nRoiVoxels = roiOffsets[roiIds.length];
  const nCellVoxels = cellOffsets[keys.length];
  const roiValues = channels.map((ch) => new (ch.data.constructor as VoxelArrayCtor)(nRoiVoxels));
  const cellValues = channels.map((ch) => new (ch.data.constructor as VoxelArrayCtor)(nCellVoxels));
  const roiPos = new Float64Array(65536);
  for (let g = 0; g < roiIds.length; g++) roiPos[roiIds[g]] = roiOffsets[g];
  const cellPos = cellOffsets.slice(0, keys.length);
  const nc = channels.length;
  const src = channels.map((ch) => ch.data);
  for (let z = z0; z < z1; z++) {
    const zOff = z * plane;
    let lastKey = -1;
    let lastRow = -1;
    for (let p = 0; p < plane; p++) {
      const r = roiData[p];
      if (r === 0) continue;
      const i = zOff + p;
      const at = roiPos[r]++;
      for (let c = 0; c < nc; c++) roiValues[c][at] = src[c][i];
      const l = labels[i];
      if (l === 0) continue;
      const key = l * 65536 + r;
      if (key !== lastKey) {
        lastKey = key;
        lastRow = rowOfPair[pairIndex.get(key)!];
      }
      const cat = cellPos[lastRow]++;
      for (let c = 0; c < nc; c++) cellValues[c][cat] = src[c][i];
    }
  }
  return {
    roiIds: Float64Array.from(roiIds),
    rois: { values: roiValues, offsets: roiOffsets, n: roiIds.length },
    cellRoiIds,
    cellLabels: cellLabelsOut,
    cellRoiGroup,
    cells: { values: cellValues, offsets: cellOffsets, n: keys.length },
  };
}
