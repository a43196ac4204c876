/** ROI shape geometry in image coordinates (`[y, x]`, napari's shapes layout). Pure functions. */
import type { RoiShape } from './api.js';

/** A rectangle or ellipse from two corners of its bounding box: corners clockwise from the top-left. */
export function boxShape(a: readonly [number, number], b: readonly [number, number], type: 'rectangle' | 'ellipse'): RoiShape {
  const y0 = Math.min(a[0], b[0]);
  const y1 = Math.max(a[0], b[0]);
  const x0 = Math.min(a[1], b[1]);
  const x1 = Math.max(a[1], b[1]);
  return { type, data: [[y0, x0], [y0, x1], [y1, x1], [y1, x0]] };
}

/** Mean of the vertices (where the ROI number is written). */
export function shapeCentroid(s: RoiShape): [number, number] {
  const n = s.data.length || 1;
  return [s.data.reduce((a, p) => a + p[0], 0) / n, s.data.reduce((a, p) => a + p[1], 0) / n];
}

/** Whether image point (y, x) lies inside the shape (even-odd rule for polygons). */
export function shapeContains(s: RoiShape, y: number, x: number): boolean {
  if (s.type === 'ellipse') {
    const ys = s.data.map((p) => p[0]);
    const xs = s.data.map((p) => p[1]);
    const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
    const ry = (Math.max(...ys) - Math.min(...ys)) / 2 || 1;
    const rx = (Math.max(...xs) - Math.min(...xs)) / 2 || 1;
    return ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1;
  }
  let inside = false;
  const d = s.data;
  for (let i = 0, j = d.length - 1; i < d.length; j = i++) {
    const [yi, xi] = d[i];
    const [yj, xj] = d[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
