/**
 * Geometry of a multiscale OME-Zarr image's coarser levels relative to the analysed level (issue 20.5), for the
 * viewer's first paint (first-view.ts): how many analysed-level pixels one pixel of a level spans, where its pixels
 * lie, which level a preview of a given reduction comes from, and where that preview goes on the analysed grid.
 *
 * Coordinates: NGFF maps index i of level k to the physical coordinate i · scale_k + translation_k (per axis); the
 * centre of analysed pixel j is at j · scale_a + translation_a, as napari places the levels. So the centre of
 * level-k pixel i is analysed pixel `offset + i · factor`, with factor = scale_k / scale_a and
 * offset = (translation_k − translation_a) / scale_a. A store without translations (most writers) thus puts a 4×
 * level's pixel 0 over analysed pixels −1.5 … 2.5: a fraction of a screen pixel at the first paint's zoom.
 */
import type { NgffImage } from '../../io/zarr/ngff-metadata.js';

export interface LevelGeometry {
  /** Index in `multiscales[0].datasets`. */
  level: number;
  /** Stored `[Z, Y, X]` of the level. */
  shapeZyx: [number, number, number];
  /** Analysed-level pixels per pixel of this level, `[z, y, x]`. */
  factor: [number, number, number];
  /** The centre of this level's pixel 0, in analysed-level pixel-centre coordinates `[z, y, x]`. */
  offset: [number, number, number];
}

/** Relative tolerance of scale comparisons (scales are written as decimal fractions: 0.65 · 4 ≠ 2.6 exactly). */
const EPS = 1e-6;

/** The geometry of `level` of `ngff` relative to the analysed level `analysed`; `shapeZyx` = the level's stored size. */
export function levelGeometry(ngff: NgffImage, analysed: number, level: number, shapeZyx: [number, number, number]): LevelGeometry {
  const a = ngff.levels[analysed];
  const k = ngff.levels[level];
  const factor: [number, number, number] = [1, 1, 1];
  const offset: [number, number, number] = [0, 0, 0];
  (['z', 'y', 'x'] as const).forEach((name, d) => {
    const i = ngff.axes.indexOf(name);
    if (i < 0) return;
    factor[d] = k.scale[i] / a.scale[i];
    offset[d] = ((k.translation?.[i] ?? 0) - (a.translation?.[i] ?? 0)) / a.scale[i];
  });
  return { level, shapeZyx, factor, offset };
}

/** Whether a level is coarser than the analysed one in y or x and nowhere finer. */
export function isCoarser(g: LevelGeometry): boolean {
  const [, fy, fx] = g.factor;
  return fy >= 1 - EPS && fx >= 1 - EPS && (fy > 1 + EPS || fx > 1 + EPS);
}

/**
 * The level a preview of reduction `step` (analysed pixels per preview pixel, the app's `?step=`) comes from: the
 * coarsest level that still has at least one pixel per preview pixel (factor ≤ step in y and x), so that the first
 * paint reads the fewest bytes without being blurrier than the screen. null = no coarser level fits (then the
 * preview is made from the analysed level's block means, as for a TIFF).
 */
export function chooseLevel(levels: readonly LevelGeometry[], step: number): LevelGeometry | null {
  let best: LevelGeometry | null = null;
  for (const g of levels) {
    if (!isCoarser(g) || g.factor[1] > step * (1 + EPS) || g.factor[2] > step * (1 + EPS)) continue;
    if (!best || g.factor[1] * g.factor[2] > best.factor[1] * best.factor[2]) best = g;
  }
  return best;
}

/**
 * The level read ahead, while the page loads (before it can say its `step`): the coarsest level whose larger side
 * still has `minSide` pixels — about a screen's width, so that the common windows' previews (1000–2000 px) come
 * from it. null = every coarser level is smaller (a small image: its analysed level loads quickly anyway).
 */
export function prefetchLevel(levels: readonly LevelGeometry[], minSide = FIRST_VIEW_MIN_SIDE): LevelGeometry | null {
  let best: LevelGeometry | null = null;
  for (const g of levels) {
    if (!isCoarser(g) || Math.max(g.shapeZyx[1], g.shapeZyx[2]) < minSide) continue;
    if (!best || g.factor[1] * g.factor[2] > best.factor[1] * best.factor[2]) best = g;
  }
  return best;
}

/** Pixels of the larger side of the level read ahead (see `prefetchLevel`). */
export const FIRST_VIEW_MIN_SIDE = 2048;

/** Extra block-mean reduction of a level's plane so that the preview has about one pixel per `step` analysed pixels. */
export function extraReduction(g: LevelGeometry, step: number): number {
  return Math.max(1, Math.floor((step * (1 + EPS)) / Math.max(g.factor[1], g.factor[2])));
}

/**
 * Where a preview of level `g`, reduced `k`× more by block means, lies on the analysed grid, in analysed-level
 * pixel-edge coordinates `[y, x]` (pixel j spans [j, j + 1), the app's image coordinates): the top-left corner of
 * its pixel 0 and the size of one of its pixels.
 */
export function previewPlacement(g: LevelGeometry, k: number): { originYx: [number, number]; pixelYx: [number, number] } {
  const [, fy, fx] = g.factor;
  const [, oy, ox] = g.offset;
  // Level pixel i spans centre ± factor/2 around offset + i·factor; +0.5 turns pixel centres into edges.
  return { originYx: [oy + 0.5 - fy / 2, ox + 0.5 - fx / 2], pixelYx: [k * fy, k * fx] };
}

/** The plane of level `g` nearest to analysed plane `z` (clamped to the level). */
export function levelPlane(g: LevelGeometry, z: number): number {
  const zc = Math.round((z - g.offset[0]) / g.factor[0]);
  return Math.min(g.shapeZyx[0] - 1, Math.max(0, zc));
}
