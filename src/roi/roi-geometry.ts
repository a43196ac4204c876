/**
 * ROI geometry helpers (the original's `get_bbox_2d`, `get_roi_label_points`, plus id lists and
 * areas). Each is one pass over the 2D raster.
 */
import type { Box2, RoiLabels } from '../core/volume.js';
import { valueError } from '../core/errors.js';
import { indexRois } from './roi-index.js';

/**
 * Half-open bounding box of the non-zero pixels of a 2D mask (`get_bbox_2d`: `np.where` → min..max+1),
 * or null when the mask is empty.
 */
export function getBbox2d(mask: ArrayLike<number>, shapeYx: readonly [number, number]): Box2 | null {
  const [Y, X] = shapeYx;
  if (mask.length !== Y * X) {
    throw valueError(`getBbox2d: mask has ${mask.length} pixels, expected ${Y}×${X} = ${Y * X}`);
  }
  let yMin = Y, yMax = -1, xMin = X, xMax = -1;
  let i = 0;
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++, i++) {
      if (mask[i] === 0) continue;
      if (y < yMin) yMin = y;
      yMax = y;
      if (x < xMin) xMin = x;
      if (x > xMax) xMax = x;
    }
  }
  if (yMax < 0) return null;
  return { yMin, yMax: yMax + 1, xMin, xMax: xMax + 1 };
}

/** ROI ids present in the raster, ascending, without 0 (`np.unique(roi)[1:]`). */
export function roiIds(roi: RoiLabels): number[] {
  return [...indexRois(roi).ids]; // a copy: the index is shared (cached per raster)
}

/** Pixel count per ROI id (ids ascending), one pass. */
export function roiAreas(roi: RoiLabels): Map<number, number> {
  const index = indexRois(roi);
  return new Map(index.ids.map((id, k) => [id, index.areaPx[k]]));
}

/**
 * Label anchor per ROI (`get_roi_label_points`): the mean pixel position `[y, x]` of each id (ascending)
 * and the text `"ROI k"`. Means accumulate in float64.
 */
export function getRoiLabelPoints(roi: RoiLabels): { points: [number, number][]; labels: string[] } {
  const [Y, X] = roi.shape;
  const n = new Float64Array(65536);
  const sy = new Float64Array(65536);
  const sx = new Float64Array(65536);
  const d = roi.data;
  let i = 0;
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++, i++) {
      const id = d[i];
      if (id === 0) continue;
      n[id]++;
      sy[id] += y;
      sx[id] += x;
    }
  }
  const points: [number, number][] = [];
  const labels: string[] = [];
  for (let id = 1; id < 65536; id++) {
    if (n[id] === 0) continue;
    points.push([sy[id] / n[id], sx[id] / n[id]]);
    labels.push(`ROI ${id}`);
  }
  return { points, labels };
}
