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

  // pass 1 over the labels: the runs along x of equal (ROI id, label) inside a ROI, recorded once (start, length,
  // ROI id, pair index), and the counts per ROI and per (ROI, cell) pair; pair ids through a Map keyed
  // label * 65536 + roi (< 2^48, exact in a double), looked up once per run
  const roiCount = new Float64Array(65536);
  const pairIndex = new Map<number, number>();
  const pairCount: number[] = [];
  const runs = new RunList();
  for (let z = z0; z < z1; z++) {
    const zOff = z * plane;
    for (let row = 0; row < plane; row += X) {
      let p = row;
      const rowEnd = row + X;
      while (p < rowEnd) {
        const r = roiData[p];
        const c = labels[zOff + p];
        let q = p + 1;
        while (q < rowEnd && roiData[q] === r && labels[zOff + q] === c) q++;
        if (r !== 0) {
          roiCount[r] += q - p;
          let k = -1;
          if (c !== 0) {
            const key = c * 65536 + r;
            const known = pairIndex.get(key);
            if (known === undefined) {
              k = pairCount.length;
              pairIndex.set(key, k);
              pairCount.push(0);
            } else k = known;
            pairCount[k] += q - p;
          }
          runs.push(zOff + p, q - p, r, k);
        }
        p = q;
      }
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

  // pass 2: scatter every channel's values into its groups, run by run (a run is contiguous in its group)
  const nRoiVoxels = roiOffsets[roiIds.length];
  const nCellVoxels = cellOffsets[keys.length];
  // one ROI covering every voxel of the analysed planes (`rois: full`): its group is the planes themselves, no copy
  const wholeVolume = roiIds.length === 1 && nRoiVoxels === (z1 - z0) * plane;
  const roiValues = channels.map((ch) =>
    wholeVolume ? ch.data.subarray(z0 * plane, z1 * plane) : new (ch.data.constructor as VoxelArrayCtor)(nRoiVoxels),
  );
  const cellValues = channels.map((ch) => new (ch.data.constructor as VoxelArrayCtor)(nCellVoxels));
  const roiPos = new Float64Array(65536);
  for (let g = 0; g < roiIds.length; g++) roiPos[roiIds[g]] = roiOffsets[g];
  const cellPos = cellOffsets.slice(0, keys.length);
  const nc = channels.length;
  // pass 2: copy every run into its ROI group and, inside a cell, its (ROI, cell) group
  const { start, length, roiOf, pairOf } = runs;
  for (let u = 0; u < runs.n; u++) {
    const from = start[u];
    const len = length[u];
    const r = roiOf[u];
    if (!wholeVolume) {
      const at = roiPos[r];
      roiPos[r] = at + len;
      for (let ch = 0; ch < nc; ch++) copyRun(channels[ch].data, from, len, roiValues[ch], at);
    }
    const k = pairOf[u];
    if (k >= 0) {
      const cr = rowOfPair[k];
      const cat = cellPos[cr];
      cellPos[cr] = cat + len;
      for (let ch = 0; ch < nc; ch++) copyRun(channels[ch].data, from, len, cellValues[ch], cat);
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

/** Copies `len` values from `src[from…]` to `dst[at…]` (same typed-array type): native copy for long runs. */
function copyRun(src: VoxelData, from: number, len: number, dst: VoxelData, at: number): void {
  if (len >= 32) dst.set(src.subarray(from, from + len) as never, at);
  else for (let k = 0; k < len; k++) dst[at + k] = src[from + k];
}

/** Growable columns of runs: voxel index of the first voxel, length, ROI id, pair index (−1 = no cell). */
class RunList {
  start = new Float64Array(1024);
  length = new Int32Array(1024);
  roiOf = new Int32Array(1024);
  pairOf = new Int32Array(1024);
  n = 0;

  push(start: number, length: number, roi: number, pair: number): void {
    if (this.n === this.start.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.start = grow(this.start);
      this.length = grow(this.length);
      this.roiOf = grow(this.roiOf);
      this.pairOf = grow(this.pairOf);
    }
    const i = this.n++;
    this.start[i] = start;
    this.length[i] = length;
    this.roiOf[i] = roi;
    this.pairOf[i] = pair;
  }
}
