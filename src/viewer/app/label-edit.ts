/**
 * Label-plane editing (napari's labels tools): paint, erase, flood fill, replace, split. Pure functions on a
 * `Y × X` Uint32Array plane, row-major; no DOM. `preserve` is napari's "preserve labels": only background
 * (0) pixels change (and, when erasing, only pixels of the selected label).
 */

export interface Plane {
  data: Uint32Array;
  Y: number;
  X: number;
}

/**
 * Disc of diameter `size` px centred at (cy, cx) in pixel-index coordinates (pixel (y, x) has its centre at
 * (y, x)): pixels with squared distance < (size/2)² get `value`, and always the pixel nearest the centre.
 * With `preserve`, painting changes only 0 pixels and erasing (value 0) only pixels equal to `selected`.
 */
export function paintDisc(p: Plane, cy: number, cx: number, size: number, value: number, preserve = false, selected = 0): number {
  const { data, Y, X } = p;
  const r = size / 2;
  const y0 = Math.max(0, Math.floor(cy - r + 0.5));
  const y1 = Math.min(Y - 1, Math.floor(cy + r - 0.5));
  const x0 = Math.max(0, Math.floor(cx - r + 0.5));
  const x1 = Math.min(X - 1, Math.floor(cx + r - 0.5));
  const r2 = r * r;
  const ry = Math.round(cy);
  const rx = Math.round(cx);
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dy = y - cy;
      const dx = x - cx;
      if (!(dy * dy + dx * dx < r2 || (y === ry && x === rx))) continue;
      const i = y * X + x;
      const old = data[i];
      if (preserve && (value !== 0 ? old !== 0 : old !== selected)) continue;
      if (old !== value) {
        data[i] = value;
        n++;
      }
    }
  }
  return n;
}

/** A stroke from a to b: discs every pixel along the segment. */
export function paintSegment(p: Plane, a: readonly [number, number], b: readonly [number, number], size: number, value: number, preserve = false, selected = 0): number {
  const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1])));
  let n = 0;
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    n += paintDisc(p, a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, size, value, preserve, selected);
  }
  return n;
}

/**
 * 4-connected flood fill of the region containing (y, x) with `value`; returns the number of pixels changed.
 * With `preserve` only a background region (0) may be filled, as napari's fill with "preserve labels".
 */
export function floodFill(p: Plane, y: number, x: number, value: number, preserve = false): number {
  const { data, Y, X } = p;
  const target = data[y * X + x];
  if (target === value || (preserve && target !== 0)) return 0;
  const stack = new Int32Array(Y * X);
  let sp = 0;
  let n = 0;
  stack[sp++] = y * X + x;
  data[y * X + x] = value;
  while (sp > 0) {
    const i = stack[--sp];
    n++;
    const yy = (i / X) | 0;
    const xx = i - yy * X;
    if (xx > 0 && data[i - 1] === target) { data[i - 1] = value; stack[sp++] = i - 1; }
    if (xx < X - 1 && data[i + 1] === target) { data[i + 1] = value; stack[sp++] = i + 1; }
    if (yy > 0 && data[i - X] === target) { data[i - X] = value; stack[sp++] = i - X; }
    if (yy < Y - 1 && data[i + X] === target) { data[i + X] = value; stack[sp++] = i + X; }
  }
  return n;
}

export function maxLabel(data: Uint32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

/** Every pixel `from` becomes `to`; returns how many changed (0 for from = to or from = 0: nothing to do). */
export function replaceLabel(data: Uint32Array, from: number, to: number): number {
  if (from === to) return 0;
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === from) { data[i] = to; n++; }
  return n;
}

/** Bounding box [y0, x0, y1, x1] (inclusive) of a label, or null when absent. */
export function bbox(p: Plane, label: number): [number, number, number, number] | null {
  const { data, Y, X } = p;
  let y0 = Y;
  let x0 = X;
  let y1 = -1;
  let x1 = -1;
  for (let y = 0; y < Y; y++) {
    const row = y * X;
    for (let x = 0; x < X; x++) {
      if (data[row + x] === label) {
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
      }
    }
  }
  return y1 < 0 ? null : [y0, x0, y1, x1];
}

/**
 * Split along a line given in continuous image coordinates (a point lies in pixel (floor y, floor x)):
 * the label under the middle of the line loses the pixels within 1 px of the line (the cut),
 * then the remaining part that is 4-connected to its first pixel keeps the id and every other part
 * gets a new id (max + 1). Returns false (nothing changed) when the line does not cut the label in two.
 */
export function splitAlongLine(p: Plane, a: readonly [number, number], b: readonly [number, number]): boolean {
  const { data, Y, X } = p;
  const mid: [number, number] = [Math.floor((a[0] + b[0]) / 2), Math.floor((a[1] + b[1]) / 2)];
  const steps = Math.max(1, Math.ceil(2 * Math.hypot(b[0] - a[0], b[1] - a[1])));
  // Most common non-zero label along the line (the midpoint may fall in a gap).
  const counts = new Map<number, number>();
  const line: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const y = Math.floor(a[0] + ((b[0] - a[0]) * s) / steps);
    const x = Math.floor(a[1] + ((b[1] - a[1]) * s) / steps);
    if (y < 0 || y >= Y || x < 0 || x >= X) continue;
    line.push(y * X + x);
    const v = data[y * X + x];
    if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let L = mid[0] >= 0 && mid[0] < Y && mid[1] >= 0 && mid[1] < X ? data[mid[0] * X + mid[1]] : 0;
  let best = 0;
  for (const [k, c] of counts) if (c > best) { best = c; L = k; }
  if (!L) return false;
  const before = data.slice();
  for (const i of line) {
    // Cut one pixel wide with 4-neighbours so the two sides cannot stay 4-connected across a diagonal.
    const yy = (i / X) | 0;
    const xx = i - yy * X;
    for (const j of [i, xx > 0 ? i - 1 : i, xx < X - 1 ? i + 1 : i, yy > 0 ? i - X : i, yy < Y - 1 ? i + X : i]) {
      if (data[j] === L) data[j] = 0;
    }
  }
  const first = data.indexOf(L);
  if (first < 0) { data.set(before); return false; }
  // Temporarily mark the first component with a sentinel, give the rest a new id, then restore L.
  const SENT = 0xffffffff;
  floodFill(p, (first / X) | 0, first % X, SENT);
  const newId = maxLabel(data.map((v) => (v === SENT ? 0 : v))) + 1;
  const moved = replaceLabel(data, L, newId);
  replaceLabel(data, SENT, L);
  if (moved === 0) { data.set(before); return false; }
  return true;
}
