/**
 * Convexity of a 2-D component from its runs, for `shape` declumping's rule that a convex component is one
 * object (`declump.ts`).
 *
 * Why: `shape` seeds are the maxima of the (smoothed) distance to the object's outline. For a convex object that
 * distance is a concave function, whose maxima form one convex set, so in the continuum there is nothing to
 * split; the splits the digital pipeline does find in nearly convex components come from ragged outlines and
 * texture, which the basin merging exists to undo (`merge-shallow.ts`). Solidity (area / convex hull area,
 * scikit-image `regionprops` / CellProfiler MeasureObjectSizeShape "Solidity") is the usual measure of it; a
 * clump of touching nuclei has necks and a lower solidity. Measured on the BBBC039 dev split (the only images
 * tuned on, docs/declumping.md): leaving components of solidity ≥ 0.97 and at most twice the area of the
 * largest typical object whole raises `shape`'s mean F1 from 0.9102 to 0.9113 (0.95: 0.9108, 0.93: 0.9072) and
 * saves the per-object work for most single nuclei. `intensity` splits along intensity valleys, which a convex
 * outline says less about; it uses the same threshold all the same. Its F1 reads 0.9117 without the rule, 0.9115
 * at 0.97 and 0.9119 at 0.98: between the two, 4 of the 43 images differ (three by one more merge, one by one
 * false split fewer; 5 fewer of 5 246 nuclei matched), which the dev split cannot tell from chance (sign test
 * p = 0.63). 0.97 was chosen for speed: the components of solidity in [0.97, 0.98) are then left whole without the
 * per-object work, which brings `intensity`'s cost within issue 18's +30 % (docs/declumping.md, "Speed").
 *
 * The hull's pixel count is the number of lattice points (pixel centres) in the closed hull polygon of the
 * component's pixel centres, by Pick's theorem (A + B / 2 + 1: A the polygon's area, B the lattice points on its
 * boundary) — what `skimage.morphology.convex_hull_image(mask, offset_coordinates=False)` counts.
 */
import type { Runs } from '../runs.js';
import { GrowBuffer } from '../kernels/grow-buffer.js';
import { componentRunIndexWasm, hullPixelsWasm, hullRunsFilled, hullRunsTarget } from '../kernels/declump-wasm.js';

function gcd(a: number, b: number): number {
  // Most hull edges of a digitised outline are short or axis-aligned: no division needed.
  if (a <= 1 || b <= 1) return a === 0 ? b : b === 0 ? a : 1;
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Point and hull scratch (two points per row), reused from one component to the next: fixed module constants
// for components of up to `MAX_POINTS / 2` rows (TurboFan embeds their addresses and lengths in the compiled
// loops: the convexity test of the bench image's components ran about a quarter faster than with grow-buffer
// views, measured, Node 20), grown buffers beyond. 96 KiB, committed by the OS only where touched.
const MAX_POINTS = 1 << 13;
const PX = new Int32Array(MAX_POINTS);
const PY = new Int32Array(MAX_POINTS);
const HX = new Int32Array(2 * MAX_POINTS + 2);
const HY = new Int32Array(2 * MAX_POINTS + 2);
const pxScratch = new GrowBuffer(Int32Array);
const pyScratch = new GrowBuffer(Int32Array);
const hxScratch = new GrowBuffer(Int32Array);
const hyScratch = new GrowBuffer(Int32Array);

/** Pixels of the convex hull of component `c` over rows [y0, y1) of plane 0. */
export function hullPixels(runs: Runs, c: number, y0: number, y1: number): number {
  const { rowStart, x0, x1, comp } = runs;
  // Each row's extreme pixel centres, rows in order: sorted by (y, x) already.
  const px = pxScratch.get(2 * (y1 - y0));
  const py = pyScratch.get(2 * (y1 - y0));
  let m = 0;
  for (let y = y0; y < y1; y++) {
    let a = -1;
    let e = -1;
    for (let k = rowStart[y]; k < rowStart[y + 1]; k++) {
      if (comp[k] !== c) continue;
      if (a < 0) a = x0[k];
      e = x1[k] - 1; // runs of a row are in x order (as `pairRows` in component-runs.ts also relies on)
    }
    if (a < 0) continue;
    px[m] = a;
    py[m++] = y;
    if (e !== a) {
      px[m] = e;
      py[m++] = y;
    }
  }
  return hullOfRowExtremes(px, py, m);
}

/**
 * Runs of each component in raster order (`runsOf[runStart[c] .. runStart[c + 1] - 1]`, indices into `runs`),
 * with the row of each run: the convexity test reads only its component's runs instead of every run of the
 * rows its box spans (one pass over the runs for all components).
 */
export interface ComponentRunIndex {
  runStart: Int32Array;
  runsOf: Int32Array;
  rowOf: Int32Array;
  /** The runs copied for the WebAssembly hull (`prepareHullRunsWasm`), −1 = none. */
  wasmRuns: number;
}

/**
 * `rows`: the rows of `runs` (Z · Y). `nRuns`: the runs per component when the caller has counted them
 * (`componentRunStats`), else counted here. One pass over the runs fills the index and the WebAssembly hull's
 * copy of the runs.
 */
export function componentRunIndex(runs: Runs, count: number, rows: number, nRuns?: Int32Array): ComponentRunIndex {
  const { rowStart, comp, x0, x1 } = runs;
  const runStart = new Int32Array(count + 2);
  if (nRuns) for (let c = 1; c <= count; c++) runStart[c + 1] = nRuns[c];
  else for (let k = 0; k < runs.count; k++) runStart[comp[k] + 1]++;
  for (let c = 1; c <= count + 1; c++) runStart[c] += runStart[c - 1];
  // The pass over every run in WebAssembly where it fits (the same indices; compiled at once, where a fresh process
  // would run the loop below interpreted: docs/declumping.md, "Cold start").
  const fast = componentRunIndexWasm(runs, runStart, count, rows);
  if (fast) return { runStart, runsOf: fast.runsOf, rowOf: fast.rowOf, wasmRuns: fast.generation };
  const fill = runStart.slice(0, count + 1);
  const runsOf = new Int32Array(runs.count);
  const rowOf = new Int32Array(runs.count);
  const hull = hullRunsTarget(runs.count);
  // Runs in raster order, so each component's runs in raster order too.
  for (let r = 0; r < rows; r++) {
    for (let k = rowStart[r]; k < rowStart[r + 1]; k++) {
      const q = fill[comp[k]]++;
      rowOf[k] = r;
      runsOf[q] = k;
      if (hull) {
        hull.x0[q] = x0[k];
        hull.x1[q] = x1[k] - 1;
        hull.row[q] = r;
      }
    }
  }
  return { runStart, runsOf, rowOf, wasmRuns: hull ? hullRunsFilled() : -1 };
}

/** `hullPixels` of component `c` (plane 0) from its own runs (`componentRunIndex`): the same points, so the same count. */
export function hullPixelsIndexed(runs: Runs, index: ComponentRunIndex, c: number, rows: number): number {
  const { x0, x1 } = runs;
  const { runStart, runsOf, rowOf } = index;
  // The same points and statements in WebAssembly (declump-wasm.ts) when it holds this image's runs.
  if (index.wasmRuns >= 0) {
    const h = hullPixelsWasm(index.wasmRuns, runStart[c], runStart[c + 1], rows);
    if (h >= 0) return h;
  }
  const fixed = 2 * rows <= MAX_POINTS;
  const px = fixed ? PX : pxScratch.get(2 * rows);
  const py = fixed ? PY : pyScratch.get(2 * rows);
  let m = 0;
  for (let q = runStart[c], qEnd = runStart[c + 1]; q < qEnd; ) {
    const k = runsOf[q];
    const y = rowOf[k];
    const a = x0[k];
    let e = x1[k] - 1;
    // The row's last run of this component gives its right end (runs of a row are in x order).
    for (q++; q < qEnd && rowOf[runsOf[q]] === y; q++) e = x1[runsOf[q]] - 1;
    px[m] = a;
    py[m++] = y;
    if (e !== a) {
      px[m] = e;
      py[m++] = y;
    }
  }
  return fixed ? hullOfRowExtremes(PX, PY, m, HX, HY) : hullOfRowExtremes(px, py, m);
}

/**
 * Lattice points of the convex hull of `m` points sorted by (y, x) (Pick's theorem, see above). `hx`, `hy`: chain
 * scratch of at least 2m + 2 entries (the fixed HX, HY when the points fit the fixed scratch).
 */
function hullOfRowExtremes(px: Int32Array, py: Int32Array, m: number, hx?: Int32Array, hy?: Int32Array): number {
  // One or two points: the lattice points of the segment between them.
  if (m <= 2) return m === 0 ? 0 : gcd(Math.abs(px[m - 1] - px[0]), Math.abs(py[m - 1] - py[0])) + 1;
  // Andrew's monotone chain (points sorted by y, then x): one chain forward, one backward. The forward chain is
  // the right side: a row's left point, followed by its right point on the same row, makes a turn it pops (the
  // first point excepted), so that chain skips it; the backward chain likewise skips right points (the last point
  // excepted). The same vertices with about a third of the pushes and pops: the WebAssembly hulls of the bench
  // image's 263 components took 0.166 ms against 0.205 ms (warm, isolated; the pops' mispredicted branches remain).
  hx ??= hxScratch.get(2 * m + 2);
  hy ??= hyScratch.get(2 * m + 2);
  let h = 0;
  for (let pass = 0; pass < 2; pass++) {
    const start = h;
    for (let t = 0; t < m; t++) {
      const i = pass === 0 ? t : m - 1 - t;
      const j = pass === 0 ? i + 1 : i - 1;
      if (t > 0 && j >= 0 && j < m && py[j] === py[i]) continue;
      const qx = px[i];
      const qy = py[i];
      while (h - start >= 2 && (hx[h - 1] - hx[h - 2]) * (qy - hy[h - 2]) - (hy[h - 1] - hy[h - 2]) * (qx - hx[h - 2]) <= 0) h--;
      hx[h] = qx;
      hy[h++] = qy;
    }
    h--; // the chain's last point starts the other chain
  }
  let area2 = 0;
  let boundary = 0;
  for (let i = 0; i < h; i++) {
    const j = i + 1 === h ? 0 : i + 1;
    area2 += hx[i] * hy[j] - hx[j] * hy[i];
    boundary += gcd(Math.abs(hx[j] - hx[i]), Math.abs(hy[j] - hy[i]));
  }
  return Math.abs(area2) / 2 + boundary / 2 + 1;
}

/**
 * Solidity from which a component is convex enough to be one object, for both splitting methods (chosen on BBBC039
 * dev, see above and docs/declumping.md).
 */
export const CONVEX_SOLIDITY = 0.97;

/**
 * True when component `c` (2-D, rows [y0, y1), `voxels` pixels) has at least the given solidity and at most
 * `maxVoxels` pixels.
 */
export function convexComponent(runs: Runs, c: number, y0: number, y1: number, voxels: number, maxVoxels: number, solidity: number, index?: ComponentRunIndex): boolean {
  return voxels <= maxVoxels && voxels >= solidity * (index ? hullPixelsIndexed(runs, index, c, y1 - y0) : hullPixels(runs, c, y0, y1));
}
