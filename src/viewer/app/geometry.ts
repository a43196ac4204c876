/**
 * The viewer's one coordinate convention (issue 16.1), converted here and nowhere else.
 *
 * - Image space: `[y, x]` tuples (napari's and the config's order) in image pixels, continuous: pixel
 *   `(y, x)` covers `[y, y + 1) × [x, x + 1)`, so its centre is `(y + 0.5, x + 0.5)`.
 * - Screen space: `{ x, y }` objects in CSS pixels relative to the canvas's top-left corner.
 *
 * The two spaces use different types on purpose: a screen point is never a tuple, so code cannot read a
 * screen position as `[sy, sx]` (the transposed-drawing bug of issue 16 came from exactly that).
 * `View` maps image to screen by `screen = t + image · scale` per axis (pan `tx, ty` in CSS px, zoom `scale`
 * in CSS px per image pixel). Pure functions, no DOM: unit-tested in test/viewer-geometry.test.ts.
 */

/** Pan and zoom of the canvas: screen = (tx + x·scale, ty + y·scale). */
export interface View {
  scale: number;
  tx: number;
  ty: number;
}

/** A point on the canvas in CSS pixels from its top-left corner. */
export interface ScreenPoint {
  x: number;
  y: number;
}

/** A point in image pixels, `[y, x]` (continuous; pixel centres at `.5`). */
export type ImagePoint = [number, number];

/** Image `[y, x]` → canvas `{x, y}`. */
export function imageToScreen(view: View, p: readonly [number, number]): ScreenPoint {
  return { x: view.tx + p[1] * view.scale, y: view.ty + p[0] * view.scale };
}

/**
 * An image rectangle — top-left corner `[y, x]` and size `[height, width]` in image pixels — as the `{x, y, width,
 * height}` that canvas calls take under the view's image → screen transform (the preview's placement).
 */
export function imageRect(originYx: readonly [number, number], sizeYx: readonly [number, number]): { x: number; y: number; width: number; height: number } {
  return { x: originYx[1], y: originYx[0], width: sizeYx[1], height: sizeYx[0] };
}

/** Canvas `{x, y}` → image `[y, x]` (continuous). */
export function screenToImage(view: View, s: ScreenPoint): ImagePoint {
  return [(s.y - view.ty) / view.scale, (s.x - view.tx) / view.scale];
}

/** Client (page) coordinates of a pointer event → canvas `{x, y}`, given the canvas's bounding box. */
export function clientToScreen(rect: { left: number; top: number }, clientX: number, clientY: number): ScreenPoint {
  return { x: clientX - rect.left, y: clientY - rect.top };
}

/** The pixel `[y, x]` holding a continuous image point, or null outside a `height × width` image. */
export function pixelAt(p: readonly [number, number], height: number, width: number): [number, number] | null {
  const y = Math.floor(p[0]);
  const x = Math.floor(p[1]);
  return y >= 0 && y < height && x >= 0 && x < width ? [y, x] : null;
}

/** Length in screen px of `d` image pixels. */
export const toScreenLength = (view: View, d: number): number => d * view.scale;

/** Zoom by `factor` about a fixed screen point (the image point under it stays under it), clamped to [min, max]. */
export function zoomAbout(view: View, at: ScreenPoint, factor: number, min = 0.02, max = 64): void {
  const s = Math.min(max, Math.max(min, view.scale * factor));
  view.tx = at.x - ((at.x - view.tx) * s) / view.scale;
  view.ty = at.y - ((at.y - view.ty) * s) / view.scale;
  view.scale = s;
}

/** The view that fits a `height × width` image centred into a `w × h` CSS px canvas. */
export function fitView(view: View, canvasWidth: number, canvasHeight: number, height: number, width: number): void {
  const s = Math.min(canvasWidth / width, canvasHeight / height);
  view.scale = s > 0 ? s : 1;
  view.tx = (canvasWidth - width * view.scale) / 2;
  view.ty = (canvasHeight - height * view.scale) / 2;
}

/** The view that shows image point `c` at the canvas centre with `scale`. */
export function centreOn(view: View, c: readonly [number, number], canvasWidth: number, canvasHeight: number, scale: number): void {
  view.scale = scale;
  view.tx = canvasWidth / 2 - c[1] * scale;
  view.ty = canvasHeight / 2 - c[0] * scale;
}
