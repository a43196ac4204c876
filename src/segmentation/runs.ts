/**
 * Run-length connected components: the mask is scanned once into horizontal runs (maximal stretches of
 * set voxels along x), and runs are merged with a union-find over the runs of the preceding rows. The work is
 * per run, not per voxel, which makes labelling and the size cleanup of the threshold chain several times
 * faster than a per-voxel two-pass labelling, with identical results.
 *
 * Numbering follows `skimage.measure.label`: components get ids 1..N in the raster (C) order of their first
 * voxel. Runs are created in raster order and every union keeps the smaller run index as the root, so a
 * component's root is its first run, and numbering roots in run order is raster order.
 *
 * Neighbours of a row r = (z, y) among already scanned rows:
 * - `face` (4 / 6 neighbours): (z, y−1) and (z−1, y), x ranges overlapping;
 * - `full` (8 / 26 neighbours): (z, y−1), (z−1, y−1), (z−1, y), (z−1, y+1), x ranges overlapping or touching
 *   diagonally (ranges extended by one voxel).
 */
import type { LabelData, Shape3 } from '../core/volume.js';

export type Connectivity = 'full' | 'face';

export interface Runs {
  /** Runs of row r are `rowStart[r] .. rowStart[r + 1] - 1`; rows are `z * Y + y`. */
  rowStart: Int32Array;
  x0: Int32Array;
  /** Exclusive end. */
  x1: Int32Array;
  /** After `resolveComponents`: the component id (1-based, raster order) of each run. */
  comp: Int32Array;
  count: number;
}

/** Runs of voxels equal to `value` (1 = foreground, 0 = background) of a 0/1 mask. */
export function findRuns(mask: Uint8Array, shape: Shape3, value: 0 | 1): Runs {
  const [Z, Y, X] = shape;
  const rows = Z * Y;
  const rowStart = new Int32Array(rows + 1);
  let cap = 1024;
  let x0 = new Int32Array(cap);
  let x1 = new Int32Array(cap);
  let n = 0;
  const want = value;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = n;
    const base = r * X;
    let x = 0;
    while (x < X) {
      // Skip to the next run start, then to its end; comparing with `want` keeps one code path for both.
      while (x < X && mask[base + x] !== want) x++;
      if (x >= X) break;
      const s = x;
      while (x < X && mask[base + x] === want) x++;
      if (n === cap) {
        cap *= 2;
        const a = new Int32Array(cap);
        a.set(x0);
        x0 = a;
        const b = new Int32Array(cap);
        b.set(x1);
        x1 = b;
      }
      x0[n] = s;
      x1[n] = x;
      n++;
    }
  }
  rowStart[rows] = n;
  return { rowStart, x0, x1, comp: new Int32Array(n), count: n };
}

function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

function union(parent: Int32Array, a: number, b: number): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra < rb) parent[rb] = ra;
  else if (rb < ra) parent[ra] = rb;
}

/**
 * Union of the runs of row `cur` with those of row `prev` whose x ranges overlap (extended by `ext`); with
 * `pairs`, each such pair is also counted at its run of row `cur`.
 */
function mergeRows(runs: Runs, parent: Int32Array, cur: number, prev: number, ext: number, pairs: Int32Array | null = null): void {
  const { rowStart, x0, x1 } = runs;
  let i = rowStart[cur];
  const iEnd = rowStart[cur + 1];
  let j = rowStart[prev];
  const jEnd = rowStart[prev + 1];
  while (i < iEnd && j < jEnd) {
    // Overlap of [x0[i], x1[i]) and [x0[j] - ext, x1[j] + ext).
    if (x1[j] + ext <= x0[i]) {
      j++;
    } else if (x1[i] + ext <= x0[j]) {
      i++;
    } else {
      union(parent, i, j);
      if (pairs !== null) pairs[i]++;
      // Advance the run that ends first; the other may still overlap the next one.
      if (x1[i] < x1[j]) i++;
      else j++;
    }
  }
}

/**
 * Connects the runs and numbers the components in raster order. Afterwards `runs.comp[k]` is the 1-based
 * component id of run k; returns the number of components.
 * @param rowPairs when given (zeroed, one per run): the number of runs of the row above in the same plane that
 * run k touches (x ranges overlapping or, with `full`, touching diagonally) — the edges of the run graph that
 * `declump/component-runs.ts` counts for a plane's Euler number, found here by the same walk at no extra pass.
 */
export function resolveComponents(runs: Runs, shape: Shape3, connectivity: Connectivity, rowPairs: Int32Array | null = null): number {
  const [Z, Y] = shape;
  const parent = new Int32Array(runs.count);
  for (let k = 0; k < runs.count; k++) parent[k] = k;
  const ext = connectivity === 'full' ? 1 : 0;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      const r = z * Y + y;
      if (runs.rowStart[r] === runs.rowStart[r + 1]) continue;
      if (y > 0) mergeRows(runs, parent, r, r - 1, ext, rowPairs);
      if (z > 0) {
        mergeRows(runs, parent, r, r - Y, ext);
        if (ext) {
          if (y > 0) mergeRows(runs, parent, r, r - Y - 1, ext);
          if (y < Y - 1) mergeRows(runs, parent, r, r - Y + 1, ext);
        }
      }
    }
  }
  // Roots are the first run of their component (the smaller index wins every union), so numbering the
  // roots in run order numbers the components in raster order; a root precedes the rest of its component.
  const comp = runs.comp;
  let count = 0;
  for (let k = 0; k < runs.count; k++) {
    const root = find(parent, k);
    comp[k] = root === k ? ++count : comp[root];
  }
  return count;
}

/** Voxel count per component id (index 0 unused). */
export function componentSizes(runs: Runs, count: number): Float64Array {
  const sizes = new Float64Array(count + 1);
  for (let k = 0; k < runs.count; k++) sizes[runs.comp[k]] += runs.x1[k] - runs.x0[k];
  return sizes;
}

/**
 * A label array of `n` voxels whose contents are undefined (`Buffer.allocUnsafeSlow`: not zeroed), for a caller that
 * writes every voxel (`paintLabels`). A zeroed array is zeroed at allocation, and its runs are painted after other
 * passes have pushed it out of the caches: one cache line fetched per run. Zeroing each row just before its runs
 * are painted writes it while it is in the L1 cache (2048² bench image, 8,351 runs: ~0.25 ms less for the chain
 * with the object rules, ~0.45 ms with declumping, whose boxes evict more; measured 2026-12-07).
 */
export function unzeroedLabels(n: number, wide: true): Uint32Array;
export function unzeroedLabels(n: number, wide: boolean): LabelData;
export function unzeroedLabels(n: number, wide: boolean): LabelData {
  const out = wide ? new Uint32Array(Buffer.allocUnsafeSlow(4 * n).buffer, 0, n) : new Uint16Array(Buffer.allocUnsafeSlow(2 * n).buffer, 0, n);
  if (unzeroedPoison.value !== 0) out.fill(unzeroedPoison.value);
  return out;
}

/**
 * For tests: a value every `unzeroedLabels` array is filled with first (0 = none), so that a voxel its caller leaves
 * unwritten shows instead of reading as the 0 that fresh pages happen to hold.
 */
export const unzeroedPoison = { value: 0 };

/**
 * Label image (component ids per voxel) from resolved runs, every voxel written (0 outside the runs: `out` may be
 * `unzeroedLabels`), of a type that holds every id.
 */
export function paintLabels(runs: Runs, shape: Shape3, out: LabelData): void {
  const X = shape[2];
  const rows = shape[0] * shape[1];
  for (let r = 0; r < rows; r++) {
    const base = r * X;
    out.fill(0, base, base + X);
    for (let k = runs.rowStart[r]; k < runs.rowStart[r + 1]; k++) out.fill(runs.comp[k], base + runs.x0[k], base + runs.x1[k]);
  }
}
