/**
 * Merging of watershed basins separated by a shallow saddle of the seed map (the "dynamics" of a maximum,
 * Grimaud 1992; the basin form of scikit-image `h_maxima`): two touching objects of one clump are merged when
 * the lower of their two seed peaks rises less than `h` above the highest point of their common boundary.
 * A maximum caused by a ragged outline or by texture inside a nucleus has a small dynamic; two nuclei
 * separated by a neck or a dark gap have a large one.
 *
 * Pairs are processed from the highest saddle down with a union-find whose roots keep their highest peak, so
 * the result does not depend on label numbering.
 */
import type { Shape3 } from '../../core/volume.js';
import { mergeScanWasm } from '../kernels/declump-wasm.js';
import { mergeShallowPlaneWasm } from '../kernels/declump-wasm-merge.js';

/** A map and the depth below which its saddles count as shallow. */
export interface SaddleCriterion {
  /**
   * The map, or a function that makes it: such a map is made only when the maps at hand cannot rule out every
   * merge (see `mergeShallowBasins`).
   */
  map: Float32Array | (() => Float32Array);
  h: number;
  /** true: `h` is a fraction of the lower basin's peak (intensities); false: absolute (distances, µm). */
  relative: boolean;
  /** The saddle of two basins: the highest point of their common boundary ('max', default) or its mean. */
  saddle?: 'max' | 'mean';
}

/** Per basin: voxels and peak of each map; per touching pair (key lower · (k + 1) + higher): [highest, sum, count]
 * of min(m[i], m[j]) over its boundary's voxel pairs, per map, in the order the pairs are first met. */
interface BasinScan {
  vox: Float64Array;
  peak: Float64Array;
  saddle: Map<number, Float64Array>;
}

function scanBasins(labels: Uint32Array, k: number, shape: Shape3, maps: Float32Array[]): BasinScan {
  const [Z, Y, X] = shape;
  const P = Y * X;
  const nc = maps.length;
  const stride = k + 1;
  const peak = new Float64Array(stride * nc).fill(-Infinity);
  const vox = new Float64Array(stride);
  const saddle = new Map<number, Float64Array>();
  const see = (a: number, b: number, i: number, j: number) => {
    const key = a < b ? a * stride + b : b * stride + a;
    let cur = saddle.get(key);
    // Per criterion: [highest, sum, count] of min(m[i], m[j]) over the boundary's voxel pairs.
    if (!cur) {
      saddle.set(key, (cur = new Float64Array(3 * nc)));
      for (let c = 0; c < nc; c++) cur[3 * c] = -Infinity;
    }
    for (let c = 0; c < nc; c++) {
      const m = maps[c];
      const v = Math.min(m[i], m[j]);
      if (v > cur[3 * c]) cur[3 * c] = v;
      cur[3 * c + 1] += v;
      cur[3 * c + 2]++;
    }
  };
  // A plane with few labels: the same scan in WebAssembly (declump-wasm.ts), the pairs in the order first met.
  const scanned = Z === 1 ? mergeScanWasm(labels, k, Y, X, maps, vox, peak) : null;
  if (scanned) for (const [key, s] of scanned) saddle.set(key, s);
  // The first two maps in locals: a property load per voxel and criterion cost more than the comparison.
  const m0 = maps[0];
  const m1 = nc > 1 ? maps[1] : m0;
  for (let z = 0, i = 0; z < (scanned ? 0 : Z); z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++, i++) {
        const a = labels[i];
        if (a === 0) continue;
        vox[a]++;
        const pa = a * nc;
        const v0 = m0[i];
        if (v0 > peak[pa]) peak[pa] = v0;
        if (nc > 1) {
          const v1 = m1[i];
          if (v1 > peak[pa + 1]) peak[pa + 1] = v1;
          for (let c = 2; c < nc; c++) {
            const v = maps[c][i];
            if (v > peak[pa + c]) peak[pa + c] = v;
          }
        }
        if (x + 1 < X) { const b = labels[i + 1]; if (b !== 0 && b !== a) see(a, b, i, i + 1); }
        if (y + 1 < Y) { const b = labels[i + X]; if (b !== 0 && b !== a) see(a, b, i, i + X); }
        if (z + 1 < Z) { const b = labels[i + P]; if (b !== 0 && b !== a) see(a, b, i, i + P); }
      }
    }
  }
  return { vox, peak, saddle };
}

/** The saddle values: the mean along the boundary where a criterion asks for it (in place). */
function settleSaddles(saddle: Map<number, Float64Array>, criteria: readonly SaddleCriterion[]): void {
  const nc = criteria.length;
  for (const cur of saddle.values()) for (let c = 0; c < nc; c++) if (criteria[c].saddle === 'mean') cur[3 * c] = cur[3 * c + 1] / cur[3 * c + 2];
}

/** The merge test of one criterion: true when the saddle is shallow below the lower of two peaks. */
function shallowIn(cr: SaddleCriterion, lower: number, saddleValue: number): boolean {
  return lower - saddleValue < (cr.relative ? cr.h * lower : cr.h);
}

/**
 * In place on `labels` (1..k, 0 = outside): merges adjacent basins whose saddle is shallow in EVERY criterion
 * (a neck in the distance map or a dark gap in the intensity each keeps two objects apart), and pieces smaller
 * than `minVoxels` with the neighbour across their highest saddle; a basin's peak is its highest value of the
 * map. Returns the number of objects left (ids 1..m).
 *
 * Maps given as functions are made only when needed: when no piece is a fragment and every touching pair is deep
 * in one of the maps at hand, no pair can ever merge (nothing merges first, so peaks and sizes never change), and
 * the result — nothing merged — is known without them (`shape` then never copies the intensity, `intensity` never
 * computes the distance transform: 21 of the 22 clumps of the bench image, 15 of 15).
 */
export function mergeShallowBasins(
  labels: Uint32Array,
  k: number,
  shape: Shape3,
  criteria: SaddleCriterion[],
  minVoxels = 0,
): number {
  if (k < 2 || criteria.length === 0) return k;
  // A plane with few labels: the whole merge in WebAssembly (declump-wasm-merge.ts); the maps it made, if it could
  // not finish, are used by the JavaScript rather than made again. (The JavaScript in its own function: a fresh
  // process compiles it only where it runs.)
  const made: (Float32Array | undefined)[] = [];
  if (shape[0] === 1) {
    const m = mergeShallowPlaneWasm(labels, k, shape[1], shape[2], criteria, minVoxels, made);
    if (m >= 0) return m;
  }
  return mergeShallowBasinsJs(labels, k, shape, criteria, minVoxels, made);
}

/** `mergeShallowBasins` in JavaScript (k ≥ 2, criteria given); `made[c]`: criterion c's map when already made. */
function mergeShallowBasinsJs(
  labels: Uint32Array,
  k: number,
  shape: Shape3,
  criteria: SaddleCriterion[],
  minVoxels: number,
  made: (Float32Array | undefined)[],
): number {
  const ready = criteria.filter((cr): cr is SaddleCriterion & { map: Float32Array } => typeof cr.map !== 'function');
  if (made.length === 0 && ready.length > 0 && ready.length < criteria.length) {
    const pre = scanBasins(labels, k, shape, ready.map((cr) => cr.map));
    if (pre.saddle.size === 0) return k;
    settleSaddles(pre.saddle, ready);
    let mergeable = false;
    for (let l = 1; l <= k && !mergeable; l++) if (pre.vox[l] < minVoxels) mergeable = true;
    const stride = k + 1;
    const nr = ready.length;
    for (const [key, s] of pre.saddle) {
      if (mergeable) break;
      const a = Math.floor(key / stride);
      const b = key % stride;
      let shallow = true;
      for (let c = 0; c < nr && shallow; c++) shallow = shallowIn(ready[c], Math.min(pre.peak[a * nr + c], pre.peak[b * nr + c]), s[3 * c]);
      if (shallow) mergeable = true;
    }
    if (!mergeable) return k;
  }
  const maps = criteria.map((cr, c) => made[c] ?? (typeof cr.map === 'function' ? cr.map() : cr.map));
  const nc = criteria.length;
  const stride = k + 1;
  const { vox, peak, saddle } = scanBasins(labels, k, shape, maps);
  if (saddle.size === 0) return k;
  // Highest saddles (of the first criterion) first.
  settleSaddles(saddle, criteria);
  const pairs = [...saddle.entries()].sort((p, q) => q[1][0] - p[1][0]);
  const parent = new Int32Array(stride);
  for (let l = 1; l <= k; l++) parent[l] = l;
  const find = (a: number) => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    return a;
  };
  for (const [key, s] of pairs) {
    const ra = find(Math.floor(key / stride));
    const rb = find(key % stride);
    if (ra === rb) continue;
    let shallow = true;
    for (let c = 0; c < nc && shallow; c++) {
      const lower = Math.min(peak[ra * nc + c], peak[rb * nc + c]);
      if (!shallowIn(criteria[c], lower, s[3 * c])) shallow = false;
    }
    // A piece below `minVoxels` is a fragment: it joins the neighbour across its highest saddle whatever the depth.
    if (!shallow && !(vox[ra] < minVoxels || vox[rb] < minVoxels)) continue;
    const keep = peak[ra * nc] >= peak[rb * nc] ? ra : rb;
    const gone = keep === ra ? rb : ra;
    parent[gone] = keep;
    vox[keep] += vox[gone];
    for (let c = 0; c < nc; c++) peak[keep * nc + c] = Math.max(peak[keep * nc + c], peak[gone * nc + c]);
  }
  const map = new Uint32Array(stride);
  let m = 0;
  for (let l = 1; l <= k; l++) if (find(l) === l) map[l] = ++m;
  for (let l = 1; l <= k; l++) map[l] = map[find(l)];
  // Nothing merged: every id maps to itself (roots are numbered in order), so the labels stand as they are.
  if (m === k) return k;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) labels[i] = map[labels[i]];
  return m;
}
