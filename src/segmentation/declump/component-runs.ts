/**
 * Per-component facts read off the runs of a labelled mask (`runs.ts`, after `resolveComponents(..., 'full')`),
 * without touching a voxel: bounding box, voxel count, whether the component provably has no hole, and whether
 * it is face-connected. Declumping uses them to leave out the per-object work (bounding-box copies, hole
 * filling, distance transform, smoothing, maxima, watershed) for components whose result is known to be the
 * component itself (`declump.ts`).
 *
 * Holes (2-D): model each voxel as a closed unit square (8-connected foreground, 4-connected background, the
 * duality `fill_labeled_holes` and `binary_fill_holes` use). A run is a closed rectangle; two runs of adjacent
 * rows touch (8-connectivity) in a segment or a corner point; runs of one row, or rows two apart, never touch;
 * so every non-empty intersection is contractible and, by the nerve theorem, the component has the homotopy
 * type of its run graph: Euler number χ = runs − touching pairs = 1 − holes. holes = 0 means that no
 * background region is enclosed by the component, so hole filling leaves it unchanged. (3-D: χ does not count
 * cavities alone; no claim is made.)
 */
import type { Shape3 } from '../../core/volume.js';
import type { Runs } from '../runs.js';
import { GrowBuffer } from '../kernels/grow-buffer.js';
import { componentRunStatsWasm, faceConnectedWasm } from '../kernels/declump-wasm.js';

const localParent = new GrowBuffer(Int32Array);

export interface ComponentRunStats {
  /** Half-open `[z0, z1, y0, y1, x0, x1]` of component c at `boxes[6 * c]`. */
  boxes: Int32Array;
  /** Voxels of component c (index 0 unused). */
  voxels: Float64Array;
  /** 1 = the component provably encloses no background (2-D Euler number); 0 = holes or unknown (3-D). */
  holeFree: Uint8Array;
  /** 1 = the component is also connected through faces alone (4 / 6 neighbours). */
  faceConnected: Uint8Array;
  /** Runs of component c (index 0 unused). */
  nRuns: Int32Array;
}

function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

/**
 * Runs of row `cur` and row `prev` that overlap with `[x0 - ext, x1 + ext)`: each pair is counted in
 * `edges[comp]` (when given) and united in `parent` (when given).
 */
function pairRows(runs: Runs, cur: number, prev: number, ext: number, edges: Int32Array | null, parent: Int32Array | null): void {
  const { rowStart, x0, x1, comp } = runs;
  let i = rowStart[cur];
  const iEnd = rowStart[cur + 1];
  let j = rowStart[prev];
  const jEnd = rowStart[prev + 1];
  while (i < iEnd && j < jEnd) {
    if (x1[j] + ext <= x0[i]) j++;
    else if (x1[i] + ext <= x0[j]) i++;
    else {
      if (edges) edges[comp[i]]++;
      if (parent) {
        const a = find(parent, i);
        const b = find(parent, j);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
      if (x1[i] < x1[j]) i++;
      else j++;
    }
  }
}

/**
 * @param need which of the optional facts to compute (default both): `holes` (`holeFree`) and `faceConnected`; a
 * fact not asked for is left all 0 ("unknown"), so a caller skipping it never gets a wrong claim. The face
 * connectivity is a second union-find over every run of the image (~0.2 ms on the 2048² bench image): the
 * object rules without declumping never read it.
 */
export function componentRunStats(
  runs: Runs,
  shape: Shape3,
  count: number,
  need: { holes?: boolean; faceConnected?: boolean; rowPairs?: Int32Array | null } = {},
): ComponentRunStats {
  const [Z, Y] = shape;
  const { comp } = runs;
  const holes = Z === 1 && need.holes !== false;
  const rowPairs = holes ? need.rowPairs ?? null : null;
  // The pass over every run in WebAssembly where it fits (the same numbers; compiled at once, where a fresh process
  // would run the loop below interpreted: docs/declumping.md, "Cold start"), this loop otherwise.
  const fast = componentRunStatsWasm(runs, shape, count, rowPairs);
  const { boxes, voxels, nRuns } = fast ?? runStatsJs(runs, shape, count);
  const holeFree = fast && rowPairs ? fast.holeFree : new Uint8Array(count + 1);
  const faceConnected = new Uint8Array(count + 1);
  if (holes && !(fast && rowPairs)) {
    // Touching pairs (8-connectivity) between consecutive rows, per component: holes = pairs − runs + 1. Counted
    // per run by `resolveComponents(..., 'full', rowPairs)` when the caller has them (the same walk), else here.
    const edges = new Int32Array(count + 1);
    if (rowPairs) for (let k = 0; k < runs.count; k++) edges[comp[k]] += rowPairs[k];
    else for (let y = 1; y < Y; y++) pairRows(runs, y, y - 1, 1, edges, null);
    for (let c = 1; c <= count; c++) holeFree[c] = edges[c] - nRuns[c] + 1 === 0 ? 1 : 0;
  }
  if (need.faceConnected === false) return { boxes, voxels, holeFree, faceConnected, nRuns };
  // Face connectivity: a union-find over the runs with overlapping (not merely diagonal) x ranges.
  const parent = new Int32Array(runs.count);
  for (let k = 0; k < runs.count; k++) parent[k] = k;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      const r = z * Y + y;
      if (y > 0) pairRows(runs, r, r - 1, 0, null, parent);
      if (z > 0) pairRows(runs, r, r - Y, 0, null, parent);
    }
  }
  const roots = new Int32Array(count + 1);
  for (let k = 0; k < runs.count; k++) if (find(parent, k) === k) roots[comp[k]]++;
  for (let c = 1; c <= count; c++) faceConnected[c] = roots[c] === 1 ? 1 : 0;
  return { boxes, voxels, holeFree, faceConnected, nRuns };
}

/** Boxes, voxels and runs per component: the JavaScript pass of `componentRunStats` (the kernels' reference). */
export function runStatsJs(runs: Runs, shape: Shape3, count: number): { boxes: Int32Array; voxels: Float64Array; nRuns: Int32Array } {
  const [Z, Y] = shape;
  const { rowStart, x0, x1, comp } = runs;
  const boxes = new Int32Array(6 * (count + 1));
  const voxels = new Float64Array(count + 1);
  const nRuns = new Int32Array(count + 1);
  for (let c = 1; c <= count; c++) {
    boxes[6 * c] = Z;
    boxes[6 * c + 2] = Y;
    boxes[6 * c + 4] = shape[2];
  }
  for (let z = 0, r = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++, r++) {
      for (let k = rowStart[r]; k < rowStart[r + 1]; k++) {
        const c = comp[k];
        const b = 6 * c;
        nRuns[c]++;
        voxels[c] += x1[k] - x0[k];
        if (z < boxes[b]) boxes[b] = z;
        if (z + 1 > boxes[b + 1]) boxes[b + 1] = z + 1;
        if (y < boxes[b + 2]) boxes[b + 2] = y;
        if (y + 1 > boxes[b + 3]) boxes[b + 3] = y + 1;
        if (x0[k] < boxes[b + 4]) boxes[b + 4] = x0[k];
        if (x1[k] > boxes[b + 5]) boxes[b + 5] = x1[k];
      }
    }
  }
  return { boxes, voxels, nRuns };
}

/**
 * `faceConnected` of one component of a plane from its own runs: `runsOf[qStart .. qEnd - 1]` (indices into
 * `runs`, raster order, rows `rowOf`; `convex-hull.ts` `componentRunIndex`). Runs of adjacent rows that overlap
 * in x (not merely diagonally) belong to the same 8-connected component, so the union-find over its own runs
 * gives the same answer as the image-wide one above — for the few components that need it instead of every run
 * of the image (~0.2 ms on the 2048² bench image). `wasmRuns`: the index's `wasmRuns` (−1: JavaScript only).
 */
export function faceConnectedRuns(runs: Runs, runsOf: Int32Array, rowOf: Int32Array, qStart: number, qEnd: number, wasmRuns = -1): boolean {
  // In WebAssembly when it holds this index's runs (`componentRunIndex`'s `wasmRuns`): the same answer, without the
  // interpreted loops of a fresh process (docs/declumping.md, "Cold start").
  if (wasmRuns >= 0) {
    const f = faceConnectedWasm(wasmRuns, qStart, qEnd);
    if (f >= 0) return f === 1;
  }
  const { x0, x1 } = runs;
  const m = qEnd - qStart;
  // Most components (single nuclei) are one run per row, each row overlapping the next: a chain, connected.
  let chain = true;
  for (let q = qStart + 1; q < qEnd && chain; q++) {
    const k = runsOf[q];
    const j = runsOf[q - 1];
    chain = rowOf[k] === rowOf[j] + 1 && x1[j] > x0[k] && x1[k] > x0[j];
  }
  if (chain) return true;
  const parent = localParent.get(m);
  for (let q = 0; q < m; q++) parent[q] = q;
  // [p0, p1): the previous row's runs (local indices), [g0, q): the current row's.
  let p0 = 0;
  let p1 = 0;
  let prevRow = -2;
  for (let g0 = 0; g0 < m; ) {
    const row = rowOf[runsOf[qStart + g0]];
    let g1 = g0 + 1;
    while (g1 < m && rowOf[runsOf[qStart + g1]] === row) g1++;
    if (row === prevRow + 1) {
      let i = g0;
      let j = p0;
      while (i < g1 && j < p1) {
        const ki = runsOf[qStart + i];
        const kj = runsOf[qStart + j];
        if (x1[kj] <= x0[ki]) j++;
        else if (x1[ki] <= x0[kj]) i++;
        else {
          const a = find(parent, i);
          const b = find(parent, j);
          if (a < b) parent[b] = a;
          else if (b < a) parent[a] = b;
          if (x1[ki] < x1[kj]) i++;
          else j++;
        }
      }
    }
    p0 = g0;
    p1 = g1;
    prevRow = row;
    g0 = g1;
  }
  for (let q = 1; q < m; q++) if (find(parent, q) !== 0) return false;
  return true;
}
