/**
 * One-pass per-object accumulators over a label volume (fix Q46: the original builds one full-size
 * mask per label, O(objects × voxels)). Every statistic of spec 7.5.1 is derived here from ONE scan of
 * the whole volume (`label-runs.ts`: the runs of equal non-zero labels along x) that serves all objects at
 * once; everything after it visits only object voxels:
 *
 *  - index: label ids present and their voxel counts (one hash update per run);
 *  - pass A (`measurement-passes.ts`), run by run (labels + intensity + ROI): coordinate sums and second moments (closed
 *    forms per run, relative to the object's first voxel in C order so the central moments do not suffer
 *    cancellation far from the origin), bbox, intensity sum (float64, fix Q36) and max, counting-sort
 *    grouping of the intensities by label into one Float64Array (offsets from the counts; medians by
 *    quickselect per segment, no per-label allocation), 3D voxel-face transitions, the 2D border pixels
 *    for the perimeter, the ROI ids each object touches (2D ROI raster broadcast over z, spec 9.5) and the
 *    ROI occupancy (voxels and 2D-projected pixels of all objects inside each polygon);
 *  - 2D only: the skimage `perimeter(neighborhood=4)` codes over the border pixels found in pass A.
 *
 * Objects are addressed by a compact index `k` (0-based, ascending label id); `ids[k]` is the label.
 */
import { valueError } from '../core/errors.js';
import { formatShape, sameShape, voxelCount, type LabelVolume, type RoiLabels, type Volume, type VoxelSizeUm } from '../core/volume.js';
import { scanLabelRuns, type LabelRuns } from './label-runs.js';
import { passA, type PassAState } from './measurement-passes.js';
import { uniformRoiId } from '../roi/roi-index.js';
import { COUNTING_MEDIAN_MIN, eigSym2, eigSym3, medianFromHistogram, medianInPlace, perimeterCodes } from './measurement-kernels.js';

export { eigSym2, eigSym3 };

export interface ObjectMeasurements {
  readonly shape: readonly [number, number, number];
  readonly voxelSizeUm: VoxelSizeUm;
  /** Label ids present, ascending. */
  readonly ids: Float64Array;
  readonly n: number;
  /** Voxel count per object. */
  readonly count: Float64Array;
  /** Centroid in index units (mean voxel coordinate; z is 0.0 for a singleton-z volume). */
  readonly centroidZ: Float64Array;
  readonly centroidY: Float64Array;
  readonly centroidX: Float64Array;
  /**
   * Central second moments Σ(d_a − mean_a)(d_b − mean_b) in voxel index units² (not divided by n),
   * order zz, yy, xx, zy, zx, yx; 6 entries per object.
   */
  readonly central2: Float64Array;
  /** Half-open bbox per object: zMin, zMax, yMin, yMax, xMin, xMax (6 entries per object). */
  readonly bbox: Int32Array;
  /** Number of voxel faces between the object and anything else (zero padding) along z, y, x; 3 per object. */
  readonly faces: Float64Array;
  /** Sum, mean, median, max intensity (float64); NaN when no intensity image was given. */
  readonly sumIntensity: Float64Array;
  readonly meanIntensity: Float64Array;
  readonly medianIntensity: Float64Array;
  readonly maxIntensity: Float64Array;
  /** skimage `perimeter(neighborhood=4)` in pixels (2D volumes only; NaN for 3D). */
  readonly perimeterPx: Float64Array;
  /** Smallest ROI id touched (0 = none). */
  readonly minRoi: Float64Array;
  /** For each ROI id touched by any object: compact indices of the objects touching it, ascending. */
  readonly objectsByRoi: Map<number, Int32Array>;
  /**
   * Occupancy of all objects together per ROI id (spec 7.4 `O = (L > 0) AND R3`, over all planes; the
   * pipeline's masks are zero outside the analysed z range): `voxels[r]` = |O|, `projectedPx[r]` = pixels
   * of polygon(r) covered on any plane. Indexed by ROI id (length 65536); zeros without a ROI image.
   */
  readonly roiVoxels: Float64Array;
  readonly roiProjectedPx: Float64Array;
  /** The runs of the measured labels (`label-runs.ts`): the overlap table walks the cell runs instead of the volume. */
  readonly labelRuns?: LabelRuns;
}

/** Labels of the runs: ids present (ascending), voxel count per id, and the compact index of each run's label. */
interface RunIndex {
  ids: Float64Array;
  /** voxel count per compact index */
  counts: Float64Array;
  runK: Int32Array;
}

/** Above this maximum label id the compact indices come from a Map instead of a dense lookup table. */
const DENSE_LUT_LIMIT = 1 << 26;

function indexRuns(runs: LabelRuns): RunIndex {
  // one Map update per run
  const { n: nRuns, length, label } = runs;
  const seen = new Map<number, number>();
  for (let r = 0; r < nRuns; r++) seen.set(label[r], (seen.get(label[r]) ?? 0) + length[r]);
  const ids = Float64Array.from(seen.keys()).sort();
  const n = ids.length;
  const counts = new Float64Array(n);
  for (let k = 0; k < n; k++) counts[k] = seen.get(ids[k])!;
  const runK = new Int32Array(nRuns);
  const max = n ? ids[n - 1] : 0;
  if (max <= DENSE_LUT_LIMIT) {
    const lut = new Int32Array(max + 1);
    for (let k = 0; k < n; k++) lut[ids[k]] = k;
    for (let r = 0; r < nRuns; r++) runK[r] = lut[label[r]];
  } else {
    // sparse huge ids: a Map (the former path relabelled a full copy of the volume to keep the table small)
    const kOf = new Map<number, number>();
    for (let k = 0; k < n; k++) kOf.set(ids[k], k);
    let last = -1;
    let lastK = 0;
    for (let r = 0; r < nRuns; r++) {
      if (label[r] !== last) {
        last = label[r];
        lastK = kOf.get(last)!;
      }
      runK[r] = lastK;
    }
  }
  return { ids, counts, runK };
}

/**
 * Measures every object of `labels` in one set of whole-volume passes.
 * `intensity` (any typed array, read as float64) must have the label shape; `roi` must be `[Y, X]`.
 */
export function measureObjects(
  labels: LabelVolume,
  intensity: Volume | null,
  roi: RoiLabels | null,
  voxelSizeUm: VoxelSizeUm,
  /**
   * Where voxel (0, 0, 0) of `labels` lies in the image the centroids refer to, `[z, y, x]` (an analysis window
   * of a larger frame, pipeline/analysis-window.ts); added to each object's integer origin before its mean, so
   * the centroids are bit-identical to measuring the frame. Default: none.
   */
  coordinateOrigin: readonly [number, number, number] | null = null,
  /** The runs of `labels.data` when already known (labelling, `core/label-runs.ts`): no scan of the volume. */
  knownRuns: LabelRuns | null = null,
): ObjectMeasurements {
  const [Z, Y, X] = labels.shape;
  if (labels.data.length !== voxelCount(labels.shape)) {
    throw valueError(`label volume has ${labels.data.length} voxels, expected ${voxelCount(labels.shape)} for shape ${formatShape(labels.shape)}`);
  }
  if (intensity && !sameShape(intensity.shape, labels.shape)) {
    throw valueError(`intensity image shape ${formatShape(intensity.shape)} does not match label image shape ${formatShape(labels.shape)}`);
  }
  if (roi && (roi.shape[0] !== Y || roi.shape[1] !== X)) {
    throw valueError(`ROI label image shape ${formatShape(roi.shape)} does not match image plane ${formatShape([Y, X])}`);
  }
  const data = labels.data;
  const runs = knownRuns ?? scanLabelRuns(data, X);
  const { ids, counts: fullCount, runK } = indexRuns(runs);
  const n = ids.length;
  const plane = Y * X;
  const is2d = Z === 1;

  const count = new Float64Array(n); // running count (pass A), equals fullCount afterwards
  const origin = new Int32Array(3 * n); // first voxel (z, y, x) of each object
  const s1 = new Float64Array(3 * n); // Σ dz, Σ dy, Σ dx relative to origin
  const s2 = new Float64Array(6 * n); // Σ dz², dy², dx², dz·dy, dz·dx, dy·dx
  const bbox = new Int32Array(6 * n);
  const faces = new Float64Array(3 * n);
  const sumI = new Float64Array(n);
  const maxI = new Float64Array(n).fill(-Infinity);
  const minRoi = new Float64Array(n).fill(Infinity);
  const pairKeys = new Set<number>(); // k * 65536 + roiId (ROI ids are uint16)
  // one ROI covering the raster (its index says so): no read of the raster, which may not even be built (roi/full-image.ts)
  const uniformRoi = roi ? uniformRoiId(roi) : 0;
  const roiData = roi && uniformRoi === 0 ? roi.data : null;
  const inten = intensity ? intensity.data : null;
  const roiVoxels = new Float64Array(65536);
  const roiProjectedPx = new Float64Array(65536);
  const projected = roi && !is2d ? new Uint8Array(plane) : null;

  // counting-sort grouping of the intensities by label: segment k is values[offsets[k], offsets[k+1])
  // (large objects of a uint8/uint16 image: a histogram instead, and an empty segment)
  const integer16 = !!inten && (inten instanceof Uint16Array || inten instanceof Uint8Array);
  const hists: (Uint32Array | null)[] | null = integer16 ? new Array<Uint32Array | null>(n).fill(null) : null;
  const offsets = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) {
    const big = hists !== null && fullCount[k] >= COUNTING_MEDIAN_MIN;
    if (big) hists[k] = new Uint32Array(65536);
    offsets[k + 1] = offsets[k] + (big ? 0 : fullCount[k]);
  }
  const values = inten ? new Float64Array(offsets[n]) : null;

  // 2D border pixels (object pixels with a 4-neighbour outside the object), raster order
  const border = is2d ? takeBorderRaster(plane) : null;
  const acc: PassAState = {
    count, origin, s1, s2, bbox, faces, sumI, maxI, minRoi, pairKeys, roiVoxels, roiProjectedPx, projected,
    offsets, values, hists, border, borderList: new Int32Array(is2d ? 1024 : 0), borderK: new Int32Array(is2d ? 1024 : 0), nBorder: 0,
  };
  passA(data, runs, runK, Z, Y, X, inten, roiData, acc, uniformRoi);
  const { borderList, borderK, nBorder } = acc;


  const centroidZ = new Float64Array(n);
  const centroidY = new Float64Array(n);
  const centroidX = new Float64Array(n);
  const [oz, oy, ox] = coordinateOrigin ?? [0, 0, 0];
  const central2 = new Float64Array(6 * n);
  for (let k = 0; k < n; k++) {
    const c = count[k];
    const mz = s1[3 * k] / c;
    const my = s1[3 * k + 1] / c;
    const mx = s1[3 * k + 2] / c;
    centroidZ[k] = origin[3 * k] + oz + mz;
    centroidY[k] = origin[3 * k + 1] + oy + my;
    centroidX[k] = origin[3 * k + 2] + ox + mx;
    const o = 6 * k;
    central2[o] = s2[o] - s1[3 * k] * mz;
    central2[o + 1] = s2[o + 1] - s1[3 * k + 1] * my;
    central2[o + 2] = s2[o + 2] - s1[3 * k + 2] * mx;
    central2[o + 3] = s2[o + 3] - s1[3 * k] * my;
    central2[o + 4] = s2[o + 4] - s1[3 * k] * mx;
    central2[o + 5] = s2[o + 5] - s1[3 * k + 1] * mx;
    if (minRoi[k] === Infinity) minRoi[k] = 0;
  }

  // medians (numpy.median) by quickselect on each grouped segment
  const meanIntensity = new Float64Array(n);
  const medianIntensity = new Float64Array(n);
  if (values) {
    for (let k = 0; k < n; k++) {
      const hist = hists ? hists[k] : null;
      medianIntensity[k] = hist ? medianFromHistogram(hist, count[k]) : medianInPlace(values, offsets[k], count[k]);
      meanIntensity[k] = sumI[k] / count[k];
    }
  } else {
    sumI.fill(NaN);
    maxI.fill(NaN);
    meanIntensity.fill(NaN);
    medianIntensity.fill(NaN);
  }

  // skimage perimeter(neighborhood=4) per object (2D only)
  const perimeterPx = new Float64Array(n).fill(NaN);
  if (border && n > 0) perimeterCodes(data, n, Y, X, border, borderList, borderK, nBorder, perimeterPx);
  if (border) giveBackBorderRaster(border, borderList, nBorder);

  const objectsByRoi = new Map<number, Int32Array>();
  if (pairKeys.size) {
    const keys = Float64Array.from(pairKeys).sort(); // sorted by (k, roi)
    const perRoi = new Map<number, number[]>();
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j];
      const r = key % 65536;
      const k = (key - r) / 65536;
      let list = perRoi.get(r);
      if (!list) perRoi.set(r, (list = []));
      list.push(k);
    }
    for (const r of [...perRoi.keys()].sort((a, b) => a - b)) objectsByRoi.set(r, Int32Array.from(perRoi.get(r)!));
  }

  return {
    shape: [Z, Y, X],
    voxelSizeUm,
    ids,
    n,
    count,
    centroidZ,
    centroidY,
    centroidX,
    central2,
    bbox,
    faces,
    sumIntensity: sumI,
    meanIntensity,
    medianIntensity,
    maxIntensity: maxI,
    perimeterPx,
    minRoi,
    objectsByRoi,
    roiVoxels,
    roiProjectedPx,
    labelRuns: runs,
  };
}

/**
 * Remembers the last few `measureObjects` results and returns one again when the labels are byte-identical and the
 * intensity image, ROI labels and voxel size are the same objects/values: the viewer re-analyses after every edit or
 * slider move of one channel, and the other channel's measurement pass (the costliest table step) need not run again.
 * The memo keeps a copy of the labels it measured (the caller may reuse or change its arrays afterwards).
 */
export class MeasurementMemo {
  private readonly slots: { labels: Uint8Array; shape: string; intensity: Volume | null; roi: RoiLabels | null; voxel: string; m: ObjectMeasurements }[] = [];
  constructor(private readonly maxSlots = 3) {}

  measure(labels: LabelVolume, intensity: Volume | null, roi: RoiLabels | null, voxelSizeUm: VoxelSizeUm): ObjectMeasurements {
    const bytes = new Uint8Array(labels.data.buffer, labels.data.byteOffset, labels.data.byteLength);
    const shape = labels.shape.join(',');
    const voxel = voxelSizeUm.join(',');
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s.intensity === intensity && s.roi === roi && s.shape === shape && s.voxel === voxel && Buffer.compare(s.labels, bytes) === 0) {
        this.slots.splice(i, 1);
        this.slots.unshift(s);
        return s.m;
      }
    }
    const m = measureObjects(labels, intensity, roi, voxelSizeUm);
    this.slots.unshift({ labels: bytes.slice(), shape, intensity, roi, voxel, m });
    this.slots.length = Math.min(this.slots.length, this.maxSlots);
    return m;
  }
}

/**
 * The 2D border-flag raster, kept between calls and cleared through its border list (issue 21): a fresh 4 MiB raster
 * per channel of a 2048² image cost ~2–3 ms of page faults (fresh memory ~0.6 ms/MiB here); clearing the few flags
 * that were set costs microseconds. One raster is kept, of the most recent plane size.
 */
let borderScratch: Uint8Array | null = null;

function takeBorderRaster(plane: number): Uint8Array {
  const b = borderScratch;
  if (b && b.length === plane) {
    borderScratch = null;
    return b;
  }
  return new Uint8Array(plane);
}

/** Clears the flags listed (every flag set in pass A is in the list) and keeps the raster for the next call. */
function giveBackBorderRaster(border: Uint8Array, list: Int32Array, n: number): void {
  for (let j = 0; j < n; j++) border[list[j]] = 0;
  borderScratch = border;
}
