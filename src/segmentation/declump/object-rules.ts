/**
 * Object rules applied after the (optional) declumping, in CellProfiler IdentifyPrimaryObjects' order
 * (`run`: `filter_on_border` → `filter_on_size` → `fill_labeled_holes` → `relabel`):
 *
 * - border: objects touching the crop's x/y edge or the ROI outline are removed ("Discard objects touching
 *   the border of the image?"; CellProfiler also uses the image mask's border). The z ends of a stack do not
 *   count: a nucleus cut by the first or last plane of a thin stack is still measured.
 * - diameter: objects whose equivalent diameter (2-D: 2·√(area/π); 3-D: ∛(6·volume/π), in µm) is outside
 *   [min, max] are removed ("Discard objects outside the diameter range?").
 * - holes: background regions (face-connected) enclosed by a single object become that object
 *   (`centrosome.cpmorphology.fill_labeled_holes`).
 */
import type { Shape3 } from '../../core/volume.js';
import { GrowBuffer } from '../kernels/grow-buffer.js';
import { fillLabelHolesWasm } from '../kernels/declump-wasm-box.js';

// Scratch of `fillLabelHoles` (called once or twice per object on its bounding box by declumping).
const seenScratch = new GrowBuffer(Uint8Array);
const queueScratch = new GrowBuffer(Int32Array);

/**
 * In place: every background region that touches no array face, is enclosed by one label only (face
 * neighbours) and has fewer than `maxHoleVoxels` voxels gets that label. Returns the number of voxels filled
 * and the number of enclosed regions left unfilled because of the size limit.
 *
 * A flood fill (face connectivity, explicit queue) first marks the background reachable from the array
 * faces, which is all of it for most objects; only the regions it does not reach are examined one by one.
 */
export function fillLabelHoles(labels: Uint32Array, shape: Shape3, maxHoleVoxels = Infinity): number {
  return fillLabelHolesCounted(labels, shape, maxHoleVoxels).filled;
}

export function fillLabelHolesCounted(labels: Uint32Array, shape: Shape3, maxHoleVoxels = Infinity): { filled: number; largeHoles: number } {
  const [Z, Y, X] = shape;
  // A plane (declumping's boxes) in WebAssembly where it fits: a fresh process runs the flood below interpreted.
  if (Z === 1) {
    const fast = fillLabelHolesWasm(labels, Y, X, maxHoleVoxels);
    if (fast) return fast;
  }
  const n = Z * Y * X;
  const P = Y * X;
  const is3d = Z > 1;
  const seen = seenScratch.zeroed(n);
  const queue = queueScratch.get(n);
  let tail = 0;
  const visit = (i: number) => {
    if (labels[i] === 0 && !seen[i]) {
      seen[i] = 1;
      queue[tail++] = i;
    }
  };
  // Seeds: background on the x/y faces (and the z faces of a stack).
  for (let z = 0; z < Z; z++) {
    const zFace = is3d && (z === 0 || z === Z - 1);
    for (let y = 0; y < Y; y++) {
      const row = z * P + y * X;
      if (zFace || y === 0 || y === Y - 1) {
        for (let x = 0; x < X; x++) visit(row + x);
      } else {
        visit(row);
        visit(row + X - 1);
      }
    }
  }
  const spread = (head: number) => {
    while (head < tail) {
      const i = queue[head++];
      const x = i % X;
      const y = ((i - x) / X) % Y;
      if (x > 0) visit(i - 1);
      if (x < X - 1) visit(i + 1);
      if (y > 0) visit(i - X);
      if (y < Y - 1) visit(i + X);
      if (is3d) {
        if (i >= P) visit(i - P);
        if (i + P < n) visit(i + P);
      }
    }
  };
  spread(0);
  let filled = 0;
  let largeHoles = 0;
  // Enclosed regions: gather each one, with the labels around it (0 = none yet, -1 = several).
  for (let s = 0; s < n; s++) {
    if (labels[s] !== 0 || seen[s]) continue;
    tail = 0;
    seen[s] = 1;
    queue[tail++] = s;
    let owner = 0;
    let head = 0;
    const see = (l: number) => {
      if (l === 0 || owner < 0) return;
      if (owner === 0) owner = l;
      else if (owner !== l) owner = -1;
    };
    while (head < tail) {
      const i = queue[head++];
      // No region here touches a face, so every face neighbour is inside the array.
      see(labels[i - 1]);
      see(labels[i + 1]);
      see(labels[i - X]);
      see(labels[i + X]);
      visit(i - 1);
      visit(i + 1);
      visit(i - X);
      visit(i + X);
      if (is3d) {
        see(labels[i - P]);
        see(labels[i + P]);
        visit(i - P);
        visit(i + P);
      }
    }
    if (owner <= 0) continue;
    if (tail >= maxHoleVoxels) {
      largeHoles++;
      continue;
    }
    for (let k = 0; k < tail; k++) labels[queue[k]] = owner;
    filled += tail;
  }
  return { filled, largeHoles };
}

/** Ids (ascending) of the labels touching the x/y edge of the array or the outline of `roiMask2d`. */
export function labelsTouchingBorder(labels: Uint32Array, shape: Shape3, roiMask2d: Uint8Array | null): Set<number> {
  const [Z, Y, X] = shape;
  const P = Y * X;
  // Border pixels of the plane: array edge, or inside the ROI with a 4-neighbour outside it.
  const edge = new Uint8Array(P);
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      const p = y * X + x;
      if (y === 0 || x === 0 || y === Y - 1 || x === X - 1) edge[p] = 1;
      else if (roiMask2d && roiMask2d[p] && (!roiMask2d[p - 1] || !roiMask2d[p + 1] || !roiMask2d[p - X] || !roiMask2d[p + X])) edge[p] = 1;
    }
  }
  const out = new Set<number>();
  for (let z = 0; z < Z; z++) {
    for (let p = 0; p < P; p++) {
      if (!edge[p]) continue;
      const l = labels[z * P + p];
      if (l !== 0) out.add(l);
    }
  }
  return out;
}

/** Equivalent diameter (µm) of an object of `voxels` voxels: a disk's in 2-D, a ball's in 3-D. */
export function equivalentDiameterUm(voxels: number, spacing: readonly [number, number, number], is3d: boolean): number {
  if (is3d) return Math.cbrt((6 * voxels * spacing[0] * spacing[1] * spacing[2]) / Math.PI);
  return 2 * Math.sqrt((voxels * spacing[1] * spacing[2]) / Math.PI);
}

/**
 * Whether the per-object rules remove an object of `voxels` voxels, counting the rule that does in `counts`: the
 * border rule first (`touchesBorder`), then the equivalent-diameter range in µm (null = every size is kept).
 */
export function removedByObjectRules(
  voxels: number,
  touchesBorder: boolean,
  rangeUm: readonly [number, number] | null,
  spacing: readonly [number, number, number],
  is3d: boolean,
  counts: Pick<ObjectRuleCounts, 'removedBorder' | 'removedTooSmall' | 'removedTooLarge'>,
): boolean {
  if (touchesBorder) {
    counts.removedBorder++;
    return true;
  }
  if (!rangeUm) return false;
  const d = equivalentDiameterUm(voxels, spacing, is3d);
  if (d < rangeUm[0]) {
    counts.removedTooSmall++;
    return true;
  }
  if (d > rangeUm[1]) {
    counts.removedTooLarge++;
    return true;
  }
  return false;
}

export interface ObjectRuleCounts {
  removedBorder: number;
  removedTooSmall: number;
  removedTooLarge: number;
  holeVoxelsFilled: number;
}

export interface ObjectRules {
  excludeBorderObjects: boolean;
  /** [min, max] equivalent diameter in µm, or null = keep every size. */
  diameterRangeUm: [number, number] | null;
  fillHoles: boolean;
}

/**
 * In place on `labels` (ids need not be consecutive): border rule → diameter rule → hole filling. Returns
 * what each rule removed. The caller relabels.
 */
export function applyObjectRules(
  labels: Uint32Array,
  shape: Shape3,
  spacing: readonly [number, number, number],
  roiMask2d: Uint8Array | null,
  rules: ObjectRules,
  /** The largest id when the caller knows it (saves a pass). */
  knownMaxId?: number,
): ObjectRuleCounts {
  const counts: ObjectRuleCounts = { removedBorder: 0, removedTooSmall: 0, removedTooLarge: 0, holeVoxelsFilled: 0 };
  if (!rules.excludeBorderObjects && !rules.diameterRangeUm && !rules.fillHoles) return counts;
  let maxId = knownMaxId ?? 0;
  if (knownMaxId === undefined) for (let i = 0; i < labels.length; i++) if (labels[i] > maxId) maxId = labels[i];
  if (maxId === 0) return counts;
  const drop = new Uint8Array(maxId + 1);
  let any = false;
  if (rules.excludeBorderObjects) {
    for (const l of labelsTouchingBorder(labels, shape, roiMask2d)) {
      drop[l] = 1;
      counts.removedBorder++;
      any = true;
    }
  }
  if (rules.diameterRangeUm) {
    const [dMin, dMax] = rules.diameterRangeUm;
    const voxels = new Float64Array(maxId + 1);
    const n = labels.length;
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      if (l !== 0) voxels[l]++;
    }
    const is3d = shape[0] > 1;
    for (let l = 1; l <= maxId; l++) {
      if (voxels[l] === 0 || drop[l]) continue;
      const d = equivalentDiameterUm(voxels[l], spacing, is3d);
      if (d < dMin) {
        drop[l] = 1;
        counts.removedTooSmall++;
        any = true;
      } else if (d > dMax) {
        drop[l] = 1;
        counts.removedTooLarge++;
        any = true;
      }
    }
  }
  if (any) {
    const n = labels.length;
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      if (l !== 0 && drop[l]) labels[i] = 0;
    }
  }
  if (rules.fillHoles) counts.holeVoxelsFilled = fillLabelHoles(labels, shape);
  return counts;
}

/** In place: ids renumbered 1..N in raster order of each object's first voxel (`skimage.measure.label` order). */
export function relabelRasterOrder(labels: Uint32Array, knownMaxId?: number): number {
  let maxId = knownMaxId ?? 0;
  if (knownMaxId === undefined) for (let i = 0; i < labels.length; i++) if (labels[i] > maxId) maxId = labels[i];
  const map = new Uint32Array(maxId + 1);
  let next = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 0) continue;
    let m = map[l];
    if (m === 0) m = map[l] = ++next;
    labels[i] = m;
  }
  return next;
}
