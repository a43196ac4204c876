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
import { labelComponents } from '../label.js';

/**
 * In place: every background region that touches no array face, is enclosed by one label only (face
 * neighbours) and has fewer than `maxHoleVoxels` voxels gets that label. Returns the number of voxels filled.
 */
export function fillLabelHoles(labels: Uint32Array, shape: Shape3, maxHoleVoxels = Infinity): number {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  const P = Y * X;
  const bg = new Uint8Array(n);
  for (let i = 0; i < n; i++) bg[i] = labels[i] === 0 ? 1 : 0;
  const { labels: holes, count } = labelComponents(bg, shape, 'face');
  if (count === 0) return 0;
  // owner: 0 = no neighbour yet, > 0 = the single enclosing label, -1 = open to a face or several labels.
  const owner = new Float64Array(count + 1);
  const size = new Float64Array(count + 1);
  const is3d = Z > 1;
  const see = (c: number, l: number) => {
    if (l === 0 || owner[c] < 0) return;
    if (owner[c] === 0) owner[c] = l;
    else if (owner[c] !== l) owner[c] = -1;
  };
  for (let z = 0, i = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++, i++) {
        const c = holes[i];
        if (c === 0) continue;
        size[c]++;
        if (owner[c] < 0) continue;
        if (x === 0 || x === X - 1 || y === 0 || y === Y - 1 || (is3d && (z === 0 || z === Z - 1))) {
          owner[c] = -1;
          continue;
        }
        see(c, labels[i - 1]);
        see(c, labels[i + 1]);
        see(c, labels[i - X]);
        see(c, labels[i + X]);
        if (is3d) {
          see(c, labels[i - P]);
          see(c, labels[i + P]);
        }
      }
    }
  }
  let filled = 0;
  for (let c = 1; c <= count; c++) if (owner[c] > 0 && size[c] >= maxHoleVoxels) owner[c] = 0;
  for (let i = 0; i < n; i++) {
    const c = holes[i];
    if (c !== 0 && owner[c] > 0) {
      labels[i] = owner[c];
      filled++;
    }
  }
  return filled;
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
