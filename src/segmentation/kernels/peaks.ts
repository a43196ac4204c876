/**
 * Local maxima with a minimum distance, per labelled region — the seeds of the seeded watershed
 * (`skimage.feature.peak_local_max(image, min_distance, footprint, labels, exclude_border=False, p_norm=2)`
 * semantics; CellProfiler IdentifyPrimaryObjects `get_maxima` uses the same disk-footprint maximum test,
 * `centrosome.cpmorphology.is_local_maximum`).
 *
 * A voxel is a peak when its value is > 0 and >= every voxel of the same region within the ellipsoid of radius
 * `minDistance` (µm, anisotropic `spacing`); peaks are then thinned greedily, highest first (ties: raster
 * order), so that no two peaks of one region lie within `minDistance` of each other (Euclidean, inclusive, as
 * skimage's `_ensure_spacing` with `p_norm=2`).
 *
 * Cheap prefilter: only voxels that are maxima of their 8/26-neighbourhood within the region are tested
 * against the full ellipsoid, and that test stops at the first larger value.
 */
import type { Shape3 } from '../../core/volume.js';
import { GrowBuffer } from './grow-buffer.js';
import { peakCandidatesWasm } from './declump-wasm.js';
import { peakLocalMaxPlaneWasm } from './declump-wasm-peaks.js';

// Declumping calls `peakLocalMax` once per object with the same footprint: both are reused (grow-buffer.ts).
const candidates = new GrowBuffer(Int32Array);
let lastFootprint: { radius: number; sz: number; sy: number; sx: number; is3d: boolean; off: Int32Array } | null = null;
function footprint(radius: number, spacing: readonly [number, number, number], is3d: boolean): Int32Array {
  const f = lastFootprint;
  if (f && f.radius === radius && f.sz === spacing[0] && f.sy === spacing[1] && f.sx === spacing[2] && f.is3d === is3d) return f.off;
  const off = ellipsoidOffsets(radius, spacing, is3d);
  lastFootprint = { radius, sz: spacing[0], sy: spacing[1], sx: spacing[2], is3d, off };
  return off;
}

export interface PeakOptions {
  /** µm (or pixels with unit spacing); < the smallest spacing = every 8/26-neighbourhood maximum. */
  minDistance: number;
  spacing: readonly [number, number, number];
  /**
   * Seed every region that got no peak at its highest voxel (a region whose values are all <= 0), so that no
   * thresholded object is lost by the watershed (skimage would leave it unlabelled).
   */
  seedEveryRegion?: boolean;
  /**
   * The caller's word that every non-zero voxel of `regions` has the same id (declumping's one component per
   * box): no pass over the voxels to find that out (~0.1 ms over the bench image's clumps, measured).
   */
  oneRegion?: boolean;
}

/** Offsets (dz, dy, dx) of the ellipsoid {(dz·sz)² + (dy·sy)² + (dx·sx)² <= r²} without the centre. */
export function ellipsoidOffsets(radius: number, spacing: readonly [number, number, number], is3d: boolean): Int32Array {
  const [sz, sy, sx] = spacing;
  const rz = is3d ? Math.floor(radius / sz) : 0;
  const ry = Math.floor(radius / sy);
  const rx = Math.floor(radius / sx);
  const r2 = radius * radius * (1 + 1e-12);
  const out: number[] = [];
  for (let dz = -rz; dz <= rz; dz++) {
    for (let dy = -ry; dy <= ry; dy++) {
      for (let dx = -rx; dx <= rx; dx++) {
        if (dz === 0 && dy === 0 && dx === 0) continue;
        const d2 = (dz * sz) ** 2 + (dy * sy) ** 2 + (dx * sx) ** 2;
        if (d2 <= r2) out.push(dz, dy, dx);
      }
    }
  }
  return Int32Array.from(out);
}

/**
 * Peak voxel indices (raster index), highest value first. `regions`: region id per voxel (0 = outside every
 * region; peaks are only sought in regions and compared within their own region).
 */
export function peakLocalMax(values: Float32Array, regions: Uint32Array, shape: Shape3, options: PeakOptions): Int32Array {
  // One region of a plane (what declumping passes): every step of `peakLocalMaxJs` in one WebAssembly call when it
  // can run it (declump-wasm-peaks.ts: the same comparisons and sums, the same order). A separate function, so that
  // a fresh process does not compile the JavaScript's body for a call that does not run it.
  if (shape[0] === 1 && options.oneRegion) {
    const peaks = peakLocalMaxPlaneWasm(values, regions, shape[1], shape[2], options.minDistance, options.spacing, options.seedEveryRegion === true);
    if (peaks) return peaks;
  }
  return peakLocalMaxJs(values, regions, shape, options);
}

function peakLocalMaxJs(values: Float32Array, regions: Uint32Array, shape: Shape3, options: PeakOptions): Int32Array {
  const [Z, Y, X] = shape;
  const P = Y * X;
  const is3d = Z > 1;
  // 1. Candidates: > 0 and >= every same-region 8/26-neighbour.
  // At most one candidate per region voxel; a view of the shared buffer sized for the box.
  const cand = candidates.get(values.length);
  let nc = 0;
  let firstRegion = 0;
  let singleRegion = true;
  // A plane's interior in WebAssembly (declump-wasm.ts: the same comparisons), its outer rows and columns here.
  const interior = !is3d ? peakCandidatesWasm(values, regions, Y, X, cand) : -1;
  if (interior >= 0 && options.oneRegion) nc = interior;
  else if (interior >= 0) {
    nc = interior;
    for (let i = 0; i < P; i++) {
      const r = regions[i];
      if (r === 0 || r === firstRegion) continue;
      if (firstRegion === 0) firstRegion = r;
      else {
        singleRegion = false;
        break;
      }
    }
  }
  for (let z = 0; z < Z; z++) {
    if (interior >= 0) break;
    for (let y = 0; y < Y; y++) {
      const row = z * P + y * X;
      for (let x = 0; x < X; x++) {
        const i = row + x;
        const r = regions[i];
        if (r === 0) continue;
        if (r !== firstRegion) {
          if (firstRegion === 0) firstRegion = r;
          else singleRegion = false;
        }
        const v = values[i];
        if (!(v > 0)) continue;
        if (!is3d && y > 0 && y < Y - 1 && x > 0 && x < X - 1) {
          // Interior voxel of a plane (most of them): the 8 neighbours without bounds tests.
          const a = i - X;
          const b = i + X;
          if (
            (regions[a - 1] === r && values[a - 1] > v) ||
            (regions[a] === r && values[a] > v) ||
            (regions[a + 1] === r && values[a + 1] > v) ||
            (regions[i - 1] === r && values[i - 1] > v) ||
            (regions[i + 1] === r && values[i + 1] > v) ||
            (regions[b - 1] === r && values[b - 1] > v) ||
            (regions[b] === r && values[b] > v) ||
            (regions[b + 1] === r && values[b + 1] > v)
          ) continue;
          cand[nc++] = i;
          continue;
        }
        let ok = true;
        for (let dz = is3d ? -1 : 0; ok && dz <= (is3d ? 1 : 0); dz++) {
          const zz = z + dz;
          if (zz < 0 || zz >= Z) continue;
          for (let dy = -1; ok && dy <= 1; dy++) {
            const yy = y + dy;
            if (yy < 0 || yy >= Y) continue;
            const b = zz * P + yy * X;
            for (let dx = -1; dx <= 1; dx++) {
              const xx = x + dx;
              if (xx < 0 || xx >= X) continue;
              const j = b + xx;
              if (regions[j] === r && values[j] > v) { ok = false; break; }
            }
          }
        }
        if (!ok) continue;
        cand[nc++] = i;
      }
    }
  }
  if (interior >= 0) {
    // The outer rows and columns (their candidates after the interior's: the order of `cand` does not matter, the
    // sort below is by value, then index).
    for (let y = 0; y < Y; y++) {
      const edgeRow = y === 0 || y === Y - 1;
      for (let x = 0; x < X; x += edgeRow ? 1 : X - 1) {
        const i = y * X + x;
        const r = regions[i];
        const v = values[i];
        if (r === 0 || !(v > 0)) continue;
        let ok = true;
        for (let dy = -1; ok && dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= Y) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= X) continue;
            const j = yy * X + xx;
            if (regions[j] === r && values[j] > v) { ok = false; break; }
          }
        }
        if (ok) cand[nc++] = i;
      }
    }
  }
  // 2. Full footprint test.
  const off = footprint(options.minDistance, options.spacing, is3d);
  const nOff = off.length / 3;
  let kept = 0;
  for (let k = 0; k < nc; k++) {
    const i = cand[k];
    const z = Math.floor(i / P);
    const y = Math.floor((i - z * P) / X);
    const x = i - z * P - y * X;
    const r = regions[i];
    const v = values[i];
    let ok = true;
    for (let o = 0; o < nOff; o++) {
      const zz = z + off[3 * o];
      const yy = y + off[3 * o + 1];
      const xx = x + off[3 * o + 2];
      if (zz < 0 || zz >= Z || yy < 0 || yy >= Y || xx < 0 || xx >= X) continue;
      const j = zz * P + yy * X + xx;
      if (regions[j] === r && values[j] > v) { ok = false; break; }
    }
    if (ok) cand[kept++] = i;
  }
  // 3. Highest first (ties: raster order), then greedy spacing per region.
  const order = cand.subarray(0, kept);
  order.sort((a, b) => values[b] - values[a] || a - b);
  const accepted: number[] = [];
  const [sz, sy, sx] = options.spacing;
  const r2 = options.minDistance * options.minDistance * (1 + 1e-12);
  // Grid hash of accepted peaks: cells of edge minDistance (µm), so only the 3×3(×3) cells around a
  // candidate can hold a conflicting peak.
  const cell = Math.max(options.minDistance, 1e-9);
  const grid = new Map<number, number[]>();
  const gx = Math.ceil((X * sx) / cell) + 1;
  const gy = Math.ceil((Y * sy) / cell) + 1;
  const key = (cz: number, cy: number, cx: number) => (cz * gy + cy) * gx + cx;
  for (let k = 0; k < kept; k++) {
    const i = order[k];
    const z = Math.floor(i / P);
    const y = Math.floor((i - z * P) / X);
    const x = i - z * P - y * X;
    const cz = Math.floor((z * sz) / cell);
    const cy = Math.floor((y * sy) / cell);
    const cx = Math.floor((x * sx) / cell);
    const r = regions[i];
    let clash = false;
    for (let dz = -1; !clash && dz <= 1; dz++) {
      for (let dy = -1; !clash && dy <= 1; dy++) {
        for (let dx = -1; !clash && dx <= 1; dx++) {
          const list = grid.get(key(cz + dz, cy + dy, cx + dx));
          if (!list) continue;
          for (const j of list) {
            if (regions[j] !== r) continue;
            const jz = Math.floor(j / P);
            const jy = Math.floor((j - jz * P) / X);
            const jx = j - jz * P - jy * X;
            const d2 = ((jz - z) * sz) ** 2 + ((jy - y) * sy) ** 2 + ((jx - x) * sx) ** 2;
            if (d2 <= r2) { clash = true; break; }
          }
        }
      }
    }
    if (clash) continue;
    accepted.push(i);
    const kk = key(cz, cy, cx);
    const list = grid.get(kk);
    if (list) list.push(i);
    else grid.set(kk, [i]);
  }
  // One region (what declumping passes) with a peak: nothing to add, no pass over the voxels.
  if (options.seedEveryRegion && !(accepted.length > 0 && singleRegion)) {
    let maxRegion = 0;
    for (let i = 0; i < regions.length; i++) if (regions[i] > maxRegion) maxRegion = regions[i];
    const seeded = new Uint8Array(maxRegion + 1);
    for (const i of accepted) seeded[regions[i]] = 1;
    const best = new Int32Array(maxRegion + 1).fill(-1);
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i];
      if (r === 0 || seeded[r]) continue;
      if (best[r] < 0 || values[i] > values[best[r]]) best[r] = i;
    }
    for (let r = 1; r <= maxRegion; r++) if (best[r] >= 0) accepted.push(best[r]);
  }
  return Int32Array.from(accepted);
}
