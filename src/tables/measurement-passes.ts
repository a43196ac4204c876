/**
 * Pass A of `measureObjects` (object-measurements.ts): the per-object accumulators filled from the runs of the
 * labels (`label-runs.ts`), one small loop per kind of statistic.
 */
import type { LabelData, VoxelData } from '../core/volume.js';
import type { LabelRuns } from './label-runs.js';

/** Accumulators of pass A (typed arrays indexed by compact object index). */
export interface PassAState {
  count: Float64Array;
  origin: Int32Array;
  s1: Float64Array;
  s2: Float64Array;
  bbox: Int32Array;
  faces: Float64Array;
  sumI: Float64Array;
  maxI: Float64Array;
  minRoi: Float64Array;
  pairKeys: Set<number>;
  roiVoxels: Float64Array;
  roiProjectedPx: Float64Array;
  projected: Uint8Array | null;
  offsets: Float64Array;
  values: Float64Array | null;
  /**
   * Per object: a 65536-bin histogram of its intensities instead of a `values` segment (large objects of a uint8/uint16
   * image: their median is read from the counts, measurement-kernels.ts), or null; null array = none.
   */
  hists: (Uint32Array | null)[] | null;
  border: Uint8Array | null;
  borderList: Int32Array;
  borderK: Int32Array;
  nBorder: number;
}

/**
 * Pass A over the runs of the labels, as four small loops (geometry, intensities, border or faces, ROIs): each
 * compiles (V8 OSR) in a few ms, where one loop doing everything took 30–50 ms per compilation, recompiled after
 * every deopt on a branch it had not seen yet, and ran unoptimised meanwhile. Per object, the runs come in raster
 * order, so every sum is accumulated in the same order as a voxel-by-voxel scan would.
 */
export function passA(
  data: LabelData,
  runs: LabelRuns,
  runK: Int32Array,
  Z: number,
  Y: number,
  X: number,
  inten: VoxelData | null,
  /** The ROI raster (null: no ROIs, or one ROI covering it: `uniformRoi`). */
  roiData: Uint16Array | null,
  st: PassAState,
  /** The ROI id of every pixel when one ROI covers the whole raster (`uniformRoiId`), else 0. */
  uniformRoi = 0,
): void {
  passGeometry(runs, runK, Y, X, st);
  if (inten && st.values) passIntensity(runs, runK, inten, st.offsets, st.values, st.sumI, st.maxI, st.hists);
  if (st.border) passBorder(runs, runK, Y, X, st.border, st);
  else passFaces(data, runs, runK, Z, Y, X, st.faces);
  if (uniformRoi !== 0) passRoisUniform(runs, runK, uniformRoi, st);
  else if (roiData) passRois(runs, runK, Y, X, roiData, st);
}

/** Counts, first voxel, bbox and the coordinate moments (closed forms per run: exact integers in float64). */
function passGeometry(runs: LabelRuns, runK: Int32Array, Y: number, X: number, st: PassAState): void {
  const { count, origin, s1, s2, bbox } = st;
  const { n: nRuns, start, length } = runs;
  const plane = Y * X;
  for (let r = 0; r < nRuns; r++) {
    const i0 = start[r];
    const L = length[r];
    const k = runK[r];
    const z = Math.floor(i0 / plane);
    const inPlane = i0 - z * plane;
    const y = Math.floor(inPlane / X);
    const x = inPlane - y * X;
    const x1 = x + L;
    const c = count[k];
    const b6 = 6 * k;
    const o3 = 3 * k;
    if (c === 0) {
      origin[o3] = z;
      origin[o3 + 1] = y;
      origin[o3 + 2] = x;
      bbox[b6] = z;
      bbox[b6 + 1] = z + 1;
      bbox[b6 + 2] = y;
      bbox[b6 + 3] = y + 1;
      bbox[b6 + 4] = x;
      bbox[b6 + 5] = x1;
    } else {
      // z is visited in ascending order: zMin is set by the first voxel
      if (z + 1 > bbox[b6 + 1]) bbox[b6 + 1] = z + 1;
      if (y < bbox[b6 + 2]) bbox[b6 + 2] = y;
      if (y + 1 > bbox[b6 + 3]) bbox[b6 + 3] = y + 1;
      if (x < bbox[b6 + 4]) bbox[b6 + 4] = x;
      if (x1 > bbox[b6 + 5]) bbox[b6 + 5] = x1;
    }
    count[k] = c + L;
    const dz = z - origin[o3];
    const dy = y - origin[o3 + 1];
    const u0 = x - origin[o3 + 2];
    // Σ_{j<L} (u0 + j) and Σ (u0 + j)²
    const sx = L * u0 + (L * (L - 1)) / 2;
    const sxx = L * u0 * u0 + u0 * L * (L - 1) + ((L - 1) * L * (2 * L - 1)) / 6;
    s1[o3] += dz * L;
    s1[o3 + 1] += dy * L;
    s1[o3 + 2] += sx;
    s2[b6] += dz * dz * L;
    s2[b6 + 1] += dy * dy * L;
    s2[b6 + 2] += sxx;
    s2[b6 + 3] += dz * dy * L;
    s2[b6 + 4] += dz * sx;
    s2[b6 + 5] += dy * sx;
  }
}

/** Intensity sum (float64, fix Q36) and max, and the counting-sort grouping of the values by object. */
function passIntensity(
  runs: LabelRuns,
  runK: Int32Array,
  inten: VoxelData,
  offsets: Float64Array,
  values: Float64Array,
  sumI: Float64Array,
  maxI: Float64Array,
  hists: (Uint32Array | null)[] | null,
): void {
  const { n: nRuns, start, length } = runs;
  const cursor = offsets.slice(0, offsets.length - 1); // next free slot of each object's segment
  for (let r = 0; r < nRuns; r++) {
    const i0 = start[r];
    const i1 = i0 + length[r];
    const k = runK[r];
    const hist = hists ? hists[k] : null;
    if (hist) {
      // same sum order as below (runs in raster order per object)
      let sum = 0;
      let mx = maxI[k];
      for (let i = i0; i < i1; i++) {
        const v = inten[i];
        sum += v;
        if (v > mx) mx = v;
        hist[v]++;
      }
      sumI[k] += sum;
      maxI[k] = mx;
      continue;
    }
    let sum = 0;
    let mx = maxI[k];
    let w = cursor[k];
    for (let i = i0; i < i1; i++) {
      const v = inten[i];
      sum += v;
      if (v > mx) mx = v;
      values[w++] = v;
    }
    cursor[k] = w;
    sumI[k] += sum;
    maxI[k] = mx;
  }
}

/**
 * 2D: border pixels (a 4-neighbour outside the object), flagged and listed in raster order with their object.
 *
 * From the runs alone (issue 21): a run's two ends always border something else, and an inner pixel is a border
 * pixel unless the pixels above and below carry its label, i.e. lie in runs of that label in the neighbour rows. So
 * each run meets the runs of the rows above and below (one pointer per row: the runs of a row are in x order), and
 * only the border pixels are visited; the former per-pixel test of both neighbours read every object pixel three
 * times, in code that ran cold.
 */
function passBorder(runs: LabelRuns, runK: Int32Array, Y: number, X: number, border: Uint8Array, st: PassAState): void {
  const { n: nRuns, start, length, label } = runs;
  let borderList = st.borderList;
  let borderK = st.borderK;
  let nBorder = 0;
  // first run of each row: rows y's runs are [rowFirst[y], rowFirst[y + 1])
  const rowFirst = new Int32Array(Y + 1);
  for (let y = 0, r = 0; y <= Y; y++) {
    while (r < nRuns && start[r] < y * X) r++;
    rowFirst[y] = r;
  }
  let above = spans.above;
  let below = spans.below;
  let inner = spans.inner;
  let rowY = -1;
  let up = 0;
  let upEnd = 0;
  let down = 0;
  let downEnd = 0;
  for (let r = 0; r < nRuns; r++) {
    const i0 = start[r];
    const L = length[r];
    const k = runK[r];
    const y = Math.floor(i0 / X);
    if (nBorder + L > borderList.length) {
      const size = Math.max(borderList.length * 2, nBorder + L);
      const grown = new Int32Array(size);
      grown.set(borderList);
      borderList = grown;
      const grownK = new Int32Array(size);
      grownK.set(borderK);
      borderK = grownK;
    }
    if (y !== rowY) {
      rowY = y;
      up = y > 0 ? rowFirst[y - 1] : 0;
      upEnd = y > 0 ? rowFirst[y] : 0;
      down = y < Y - 1 ? rowFirst[y + 1] : 0;
      downEnd = y < Y - 1 ? rowFirst[y + 2] : 0;
      const need = 2 * (upEnd - up + (downEnd - down)) + 2; // the intersection has fewer spans than both lists
      if (above.length < need) {
        above = spans.above = new Int32Array(need);
        below = spans.below = new Int32Array(need);
        inner = spans.inner = new Int32Array(need);
      }
    }
    const x0 = i0 - y * X;
    const x1 = x0 + L;
    let ni = 0; // interior spans [inner[q], inner[q + 1]): same label above and below
    if (y > 0 && y < Y - 1 && L > 2) {
      const l = label[r];
      const lo = x0 + 1; // the run's inner pixels [lo, hi)
      const hi = x1 - 1;
      const baseUp = (y - 1) * X;
      while (up < upEnd && start[up] + length[up] - baseUp <= lo) up++;
      let na = 0;
      for (let j = up; j < upEnd && start[j] - baseUp < hi; j++) {
        if (label[j] !== l) continue;
        const s = Math.max(start[j] - baseUp, lo);
        const e = Math.min(start[j] + length[j] - baseUp, hi);
        if (s < e) {
          above[na++] = s;
          above[na++] = e;
        }
      }
      const baseDown = (y + 1) * X;
      while (down < downEnd && start[down] + length[down] - baseDown <= lo) down++;
      let nb = 0;
      for (let j = down; j < downEnd && start[j] - baseDown < hi; j++) {
        if (label[j] !== l) continue;
        const s = Math.max(start[j] - baseDown, lo);
        const e = Math.min(start[j] + length[j] - baseDown, hi);
        if (s < e) {
          below[nb++] = s;
          below[nb++] = e;
        }
      }
      // both lists are sorted and disjoint: their intersection in one merge
      for (let a = 0, b = 0; a < na && b < nb; ) {
        const s = Math.max(above[a], below[b]);
        const e = Math.min(above[a + 1], below[b + 1]);
        if (s < e) {
          inner[ni++] = s;
          inner[ni++] = e;
        }
        if (above[a + 1] < below[b + 1]) a += 2;
        else b += 2;
      }
    }
    // the border: the run minus its interior spans, in x order
    const rowBase = y * X;
    let x = x0;
    for (let q = 0; q <= ni; q += 2) {
      const stop = q < ni ? inner[q] : x1;
      for (; x < stop; x++) {
        const i = rowBase + x;
        border[i] = 1;
        borderK[nBorder] = k;
        borderList[nBorder++] = i;
      }
      if (q < ni) x = inner[q + 1];
    }
  }
  st.borderList = borderList;
  st.borderK = borderK;
  st.nBorder = nBorder;
}

/** Span scratch of `passBorder` (pairs of x), kept between calls and grown to the busiest row's run count. */
const spans = { above: new Int32Array(64), below: new Int32Array(64), inner: new Int32Array(64) };

/**
 * 3D: voxel-face transitions with zero padding (surface area, spec 7.5.1); along x a run has exactly two (its
 * ends border another label, background or the image edge).
 */
function passFaces(data: LabelData, runs: LabelRuns, runK: Int32Array, Z: number, Y: number, X: number, faces: Float64Array): void {
  const { n: nRuns, start, length } = runs;
  const plane = Y * X;
  for (let r = 0; r < nRuns; r++) {
    const i0 = start[r];
    const i1 = i0 + length[r];
    const o3 = 3 * runK[r];
    const l = data[i0];
    const z = Math.floor(i0 / plane);
    const y = Math.floor((i0 - z * plane) / X);
    let fz = 0;
    let fy = 0;
    for (let i = i0; i < i1; i++) {
      if (z === 0 || data[i - plane] !== l) fz++;
      if (z === Z - 1 || data[i + plane] !== l) fz++;
      if (y === 0 || data[i - X] !== l) fy++;
      if (y === Y - 1 || data[i + X] !== l) fy++;
    }
    faces[o3] += fz;
    faces[o3 + 1] += fy;
    faces[o3 + 2] += 2;
  }
}

/**
 * `passRois` for a raster whose every pixel is ROI `id` (the whole-image ROI): per run instead of per voxel (issue 21),
 * the same counts (integers, exact in float64) and the same (object, ROI) pairs.
 */
function passRoisUniform(runs: LabelRuns, runK: Int32Array, id: number, st: PassAState): void {
  const { minRoi, pairKeys, roiVoxels, roiProjectedPx, projected } = st;
  const { n: nRuns, start, length } = runs;
  const plane = projected ? projected.length : 0;
  let lastK = -1;
  for (let r = 0; r < nRuns; r++) {
    const k = runK[r];
    const L = length[r];
    roiVoxels[id] += L;
    if (projected) {
      const i0 = start[r];
      const p0 = i0 - Math.floor(i0 / plane) * plane;
      for (let p = p0, pe = p0 + L; p < pe; p++) {
        if (projected[p] === 0) {
          projected[p] = 1;
          roiProjectedPx[id]++;
        }
      }
    } else {
      roiProjectedPx[id] += L; // one plane: every voxel is its own projection pixel
    }
    if (k !== lastK) {
      lastK = k;
      if (id < minRoi[k]) minRoi[k] = id;
      pairKeys.add(k * 65536 + id);
    }
  }
}

/**
 * The ROI ids each object touches (2D ROI raster broadcast over z, spec 9.5) and the ROI occupancy (voxels and
 * 2D-projected pixels of all objects inside each polygon).
 */
function passRois(runs: LabelRuns, runK: Int32Array, Y: number, X: number, roiData: Uint16Array, st: PassAState): void {
  const { minRoi, pairKeys, roiVoxels, roiProjectedPx, projected } = st;
  const { n: nRuns, start, length } = runs;
  const plane = Y * X;
  let lastK = -1;
  let lastR = -1;
  for (let r = 0; r < nRuns; r++) {
    const i0 = start[r];
    const k = runK[r];
    const p0 = i0 - Math.floor(i0 / plane) * plane; // same (y, x) on the ROI raster
    for (let p = p0, pe = p0 + length[r]; p < pe; p++) {
      const rr = roiData[p];
      if (rr === 0) continue;
      roiVoxels[rr]++;
      if (projected) {
        if (projected[p] === 0) {
          projected[p] = 1;
          roiProjectedPx[rr]++;
        }
      } else {
        roiProjectedPx[rr]++; // one plane: every voxel is its own projection pixel
      }
      if (rr !== lastR || k !== lastK) {
        lastK = k;
        lastR = rr;
        if (rr < minRoi[k]) minRoi[k] = rr;
        pairKeys.add(k * 65536 + rr);
      }
    }
  }
}
