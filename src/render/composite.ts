/**
 * Pure compositing of the viewer's layers into one RGBA image (no DOM, no node imports).
 *
 * Shared by the browser app (src/viewer/app), the headless `cellcoloc snapshot` command and the reports'
 * overlay thumbnails (src/report), so a saved PNG equals what the view shows; hence its own folder (src/render/),
 * which neither the viewer nor the reports own. Blending follows napari's defaults in spec 10.2: image layers are
 * additive (colormap × normalised intensity × opacity added onto the canvas, clipped at 255); label
 * layers are drawn over the result with alpha `opacity` (napari's "translucent" look) in one fixed colour
 * (`color`, src/viewer/layer-style.ts) or a colour that is a hash of the label id, so one label keeps its
 * colour across planes, edits and re-runs.
 */

export type ColormapName = 'gray' | 'magenta' | 'cyan' | 'red' | 'green' | 'blue' | 'yellow';

/** RGB (0..1) of the top of each linear colormap (napari's single-hue colormaps run black → this colour). */
export const COLORMAPS: Record<ColormapName, readonly [number, number, number]> = {
  gray: [1, 1, 1],
  magenta: [1, 0, 1],
  cyan: [0, 1, 1],
  red: [1, 0, 0],
  green: [0, 1, 0],
  blue: [0, 0, 1],
  yellow: [1, 1, 0],
};

/** Default colormap per channel role (spec 10.2: cell magenta, marker cyan, third channel red). */
export const ROLE_COLORMAP: Record<string, ColormapName> = { cell: 'magenta', marker: 'cyan', optional_region: 'red' };

export type PixelArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int16Array
  | Float32Array
  | Float64Array;

export interface ImageLayer {
  kind: 'image';
  data: PixelArray;
  colormap: ColormapName;
  /** Raw values mapped to 0 and 1 of the colormap (napari `contrast_limits`). */
  contrast: readonly [number, number];
  /** Display gamma (napari's: the normalised intensity t is shown as t^gamma); absent = 1 (linear). */
  gamma?: number;
  opacity: number;
  visible: boolean;
}

export interface LabelLayer {
  kind: 'labels';
  data: Uint32Array;
  opacity: number;
  /** Draw only the boundary pixels of each label (a pixel whose 4-neighbour carries another label). */
  outline: boolean;
  visible: boolean;
  /** One colour (0..255 RGB) for every label; absent or null = the per-label palette (`labelColor`). */
  color?: readonly [number, number, number] | null;
  /** A label drawn fully opaque in white (the selected cell); 0 = none. */
  highlight?: number;
}

export type Layer = ImageLayer | LabelLayer;

/**
 * Contrast limits from percentiles (default 0.5 % and 99.5 %, ignoring NaN), the viewer's automatic
 * contrast, with numpy.percentile's linear interpolation between closest ranks. 8- and 16-bit integer
 * planes use an exact histogram of every pixel (one O(n) pass, no sort: ~5 ms on 2048×2048); other types
 * sort at most 2^18 evenly strided samples, which moves the limits by well under one grey level on
 * microscopy images. Returns `[lo, hi]` with `hi > lo` (a flat image gets `[v, v + 1]`).
 */
export function percentileContrast(data: ArrayLike<number>, loPct = 0.5, hiPct = 99.5): [number, number] {
  const n = data.length;
  if (n === 0) return [0, 1];
  const bins = histogramBins(data);
  if (bins) {
    const hist = new Uint32Array(bins.size);
    const offset = bins.offset;
    for (let i = 0; i < n; i++) hist[data[i] + offset]++;
    return histogramContrast(hist, offset, loPct, hiPct);
  }
  const stride = Math.max(1, Math.ceil(n / 262_144));
  const sample = new Float64Array(Math.ceil(n / stride));
  let m = 0;
  for (let i = 0; i < n; i += stride) {
    const v = data[i];
    if (v === v) sample[m++] = v; // skip NaN
  }
  if (m === 0) return [0, 1];
  const s = sample.subarray(0, m).sort();
  const at = (p: number) => {
    const pos = (p / 100) * (m - 1);
    const i0 = Math.floor(pos);
    const i1 = Math.min(m - 1, i0 + 1);
    return s[i0] + (s[i1] - s[i0]) * (pos - i0);
  };
  const lo = at(loPct);
  let hi = at(hiPct);
  if (!(hi > lo)) hi = lo + 1;
  return [lo, hi];
}

/**
 * The exact-histogram layout of an 8- or 16-bit integer plane (`hist[value + offset]` counts `value`), or null
 * for other types (percentileContrast then samples). Callers that already visit every pixel (the reports'
 * downsampling) count the histogram in that pass and finish with `histogramContrast`.
 */
export function histogramBins(data: ArrayLike<number>): { size: number; offset: number } | null {
  if (data instanceof Uint8Array) return { size: 256, offset: 0 };
  if (data instanceof Uint16Array) return { size: 65536, offset: 0 };
  if (data instanceof Int16Array) return { size: 65536, offset: 32768 };
  return null;
}

/** `percentileContrast`'s limits from the exact histogram of a whole plane (layout of `histogramBins`). */
export function histogramContrast(hist: Uint32Array, offset: number, loPct = 0.5, hiPct = 99.5): [number, number] {
  let n = 0;
  for (let v = 0; v < hist.length; v++) n += hist[v];
  if (n === 0) return [0, 1];
  // Value at 0-based rank k of the sorted data, walking the cumulative histogram.
  const valueAtRank = (k: number): number => {
    let c = 0;
    for (let v = 0; v < hist.length; v++) {
      c += hist[v];
      if (c > k) return v - offset;
    }
    return hist.length - 1 - offset;
  };
  const at = (p: number) => {
    const pos = (p / 100) * (n - 1);
    const i0 = Math.floor(pos);
    const v0 = valueAtRank(i0);
    const v1 = i0 + 1 < n ? valueAtRank(i0 + 1) : v0;
    return v0 + (v1 - v0) * (pos - i0);
  };
  const lo = at(loPct);
  let hi = at(hiPct);
  if (!(hi > lo)) hi = lo + 1;
  return [lo, hi];
}

/**
 * Colour of a label id: an integer hash (lowbias32) of the id turned into a saturated, bright hue,
 * so neighbouring ids get unrelated colours. Returns 0..255 RGB. Id 0 (background) is never drawn.
 */
export function labelColor(id: number): [number, number, number] {
  let h = id >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  h >>>= 0;
  const hue = (h % 360) / 60;
  const sat = 0.65 + ((h >>> 9) % 35) / 100; // 0.65..0.99
  const val = 0.8 + ((h >>> 17) % 20) / 100; // 0.80..0.99
  const c = val * sat;
  const x = c * (1 - Math.abs((hue % 2) - 1));
  const mm = val - c;
  let r = 0;
  let g = 0;
  let b = 0;
  if (hue < 1) [r, g, b] = [c, x, 0];
  else if (hue < 2) [r, g, b] = [x, c, 0];
  else if (hue < 3) [r, g, b] = [0, c, x];
  else if (hue < 4) [r, g, b] = [0, x, c];
  else if (hue < 5) [r, g, b] = [x, 0, c];
  else [r, g, b] = [c, 0, x];
  return [Math.round((r + mm) * 255), Math.round((g + mm) * 255), Math.round((b + mm) * 255)];
}

/**
 * Composite `layers` (bottom first) into an RGBA image of `width × height` on an opaque black background.
 * `out` (length 4·width·height) is reused when given, so re-rendering a view allocates nothing.
 */
export function compositeLayers(
  width: number,
  height: number,
  layers: readonly Layer[],
  out?: Uint8ClampedArray<ArrayBuffer>,
): Uint8ClampedArray<ArrayBuffer> {
  const n = width * height;
  const rgba = out && out.length === 4 * n ? out : new Uint8ClampedArray(4 * n);
  // Opaque black in one typed fill: bytes (0, 0, 0, 255) are the little-endian uint32 0xff000000.
  new Uint32Array(rgba.buffer, rgba.byteOffset, n).fill(0xff000000);
  for (const layer of layers) {
    if (!layer.visible || layer.opacity <= 0) continue;
    if (layer.data.length !== n) {
      throw new Error(`compositeLayers: a ${layer.kind} layer has ${layer.data.length} pixels, expected ${width}×${height} = ${n}`);
    }
    if (layer.kind === 'image') addImage(rgba, layer);
    else blendLabels(rgba, width, height, layer);
  }
  return rgba;
}

function addImage(rgba: Uint8ClampedArray, layer: ImageLayer): void {
  const [lo, hi] = layer.contrast;
  const span = hi > lo ? hi - lo : 1;
  const gamma = layer.gamma !== undefined && layer.gamma > 0 && Number.isFinite(layer.gamma) ? layer.gamma : 1;
  const [cr, cg, cb] = COLORMAPS[layer.colormap] ?? COLORMAPS.gray;
  // t / span is divided (not multiplied by a rounded 1/span) so exact fractions such as 0.5 stay exact
  // and the clamped store rounds them the same way on every platform (round half to even).
  const k = 255 * Math.min(1, Math.max(0, layer.opacity));
  const kr = cr * k;
  const kg = cg * k;
  const kb = cb * k;
  const d = layer.data;
  const n = d.length;
  if (d instanceof Uint8Array || d instanceof Uint16Array) {
    // Integer planes: the normalised intensity per grey value from a lookup table (same arithmetic as below).
    const lut = new Float64Array(d instanceof Uint8Array ? 256 : 65536);
    for (let v = 0; v < lut.length; v++) {
      const t = v - lo;
      lut[v] = !(t > 0) ? 0 : t >= span ? 1 : gamma === 1 ? t / span : (t / span) ** gamma;
    }
    for (let i = 0; i < n; i++) {
      const t = lut[d[i]];
      if (t === 0) continue;
      const o = 4 * i;
      rgba[o] += t * kr;
      rgba[o + 1] += t * kg;
      rgba[o + 2] += t * kb;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    let t = d[i] - lo;
    if (!(t > 0)) continue; // ≤ lo or NaN adds nothing
    t = t >= span ? 1 : gamma === 1 ? t / span : (t / span) ** gamma;
    const o = 4 * i;
    // Uint8ClampedArray rounds and clips the sum: additive blending saturates at white.
    rgba[o] += t * kr;
    rgba[o + 1] += t * kg;
    rgba[o + 2] += t * kb;
  }
}

function blendLabels(rgba: Uint8ClampedArray, width: number, height: number, layer: LabelLayer): void {
  const a = Math.min(1, Math.max(0, layer.opacity));
  const d = layer.data;
  const hl = layer.highlight ?? 0;
  const single = layer.color ?? null;
  // Colour cache: label images repeat each id over many pixels; hashing once per run of equal ids.
  let lastId = -1;
  let r = 0;
  let g = 0;
  let b = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const id = d[i];
      if (id === 0) continue;
      if (layer.outline) {
        const edge =
          (x > 0 && d[i - 1] !== id) ||
          (x < width - 1 && d[i + 1] !== id) ||
          (y > 0 && d[i - width] !== id) ||
          (y < height - 1 && d[i + width] !== id);
        if (!edge && id !== hl) continue;
      }
      const o = 4 * i;
      if (id === hl) {
        rgba[o] = 255;
        rgba[o + 1] = 255;
        rgba[o + 2] = 255;
        continue;
      }
      if (id !== lastId) {
        [r, g, b] = single ?? labelColor(id);
        lastId = id;
      }
      rgba[o] = rgba[o] * (1 - a) + r * a;
      rgba[o + 1] = rgba[o + 1] * (1 - a) + g * a;
      rgba[o + 2] = rgba[o + 2] * (1 - a) + b * a;
    }
  }
}
