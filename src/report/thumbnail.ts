/**
 * Overlay thumbnails of a run (planes from run-planes.ts): the analysed channels composited like the viewer
 * (cell channel magenta, marker cyan, third channel red, additive, 0.5/99.5 % percentile contrast —
 * render/composite.ts), then cell outlines, marker objects outlined, marker-positive cells filled in the
 * highlight colour and the ROI outline. Downsampled by area averaging (image) and block maximum (labels, so no
 * object vanishes) before compositing, so a 2048² run costs one pass over its pixels; an overlay of the whole
 * plane counts the channels' histograms (their display contrast) in that same pass.
 */
import { COLORMAPS, compositeLayers, histogramBins, histogramContrast, percentileContrast, ROLE_COLORMAP, type ImageLayer } from '../render/composite.js';
import { downImage, downImageCounting, downLabels, type Box } from './downsample.js';
import { overlayScanlines } from './kernels-wasm.js';
import { pngFromScanlines, pngFromScanlinesAsync, pngScanlines } from './png-rgb.js';
import type { RunPlanes } from './run-planes.js';

export type { Box } from './downsample.js';

export interface Thumbnail {
  width: number;
  height: number;
  png: Uint8Array;
  /** Source pixels per thumbnail pixel. */
  scale: number;
}

/** Overlay colours (RGB 0..255): cell outlines, marker objects, positive cells, third-channel objects, ROI. */
export const OVERLAY = {
  cellOutline: [255, 255, 255, 0.55],
  marker: [0, 255, 110, 1],
  positive: [255, 214, 0, 0.5],
  positiveOutline: [255, 214, 0, 1],
  region: [255, 110, 40, 1],
  roi: [150, 150, 150, 1],
} as const;

const NO_IMAGE_FILL = [90, 90, 90, 1] as const;
const MAX_LOOKUP_LABEL = 1 << 24;

/** Whether pixel (x, y) = i of a `w × h` label plane carries `id` and has a 4-neighbour that does not. */
function isEdge(d: Uint32Array, w: number, h: number, x: number, y: number, i: number, id: number): boolean {
  return (x > 0 && d[i - 1] !== id) || (x < w - 1 && d[i + 1] !== id) || (y > 0 && d[i - w] !== id) || (y < h - 1 && d[i + w] !== id);
}

function blend(rgba: Uint8ClampedArray, i: number, c: readonly [number, number, number, number]): void {
  const o = 4 * i;
  const a = c[3];
  rgba[o] = rgba[o] * (1 - a) + c[0] * a;
  rgba[o + 1] = rgba[o + 1] * (1 - a) + c[1] * a;
  rgba[o + 2] = rgba[o + 2] * (1 - a) + c[2] * a;
}

/**
 * `box` of the planes (default: all) block-downsampled to at most `maxSide` pixels on its longer side (never
 * upscaled). The result is itself a RunPlanes, so a gallery overlay can be taken from a whole-image overlay's
 * level instead of from the full-resolution planes again. A channel without its display contrast yet gets it
 * here, on `planes` itself (so later overlays reuse it): from the histogram counted while downsampling when the
 * box is the whole plane of an 8/16-bit channel, else from a pass of its own (percentileContrast).
 */
export function downsamplePlanes(planes: RunPlanes, box: Box | undefined, maxSide: number): RunPlanes & { scale: number } {
  const X = planes.width;
  const b = box ?? { y0: 0, y1: planes.height, x0: 0, x1: X };
  const bh = b.y1 - b.y0;
  const bw = b.x1 - b.x0;
  const scale = Math.max(1, Math.max(bh, bw) / maxSide);
  const w = Math.max(1, Math.round(bw / scale));
  const h = Math.max(1, Math.round(bh / scale));
  const whole = b.y0 === 0 && b.x0 === 0 && b.y1 === planes.height && b.x1 === X;
  const down = (p: ArrayLike<number> | null) => (p ? downLabels(p, X, b, w, h) : null);
  const channels = planes.channels.map((c) => {
    const bins = !c.contrast && whole ? histogramBins(c.plane) : null;
    if (bins) {
      const hist = new Uint32Array(bins.size);
      const plane = downImageCounting(c.plane, X, b, w, h, hist, bins.offset);
      if (plane) {
        c.contrast = histogramContrast(hist, bins.offset);
        return { ...c, plane };
      }
    }
    c.contrast ??= percentileContrast(c.plane);
    return { ...c, plane: downImage(c.plane, X, b, w, h) };
  });
  return {
    width: w,
    height: h,
    channels,
    cell: down(planes.cell),
    marker: down(planes.marker),
    region: down(planes.region),
    objects: down(planes.objects),
    rois: down(planes.rois),
    cellMarkerMean: null,
    imageNote: planes.imageNote,
    scale: scale * ((planes as { scale?: number }).scale ?? 1),
  };
}

type ThumbnailOptions = { box?: Box; maxSide: number; positive: Set<number>; roiId?: number; bits?: number };

/**
 * The overlay of `box` (default: the whole image) at most `maxSide` pixels on its longer side. `roiId` draws only
 * that ROI's outline; `positive` holds the marker-positive cell labels; `bits` posterises the PNG (png-rgb.ts).
 */
export function renderThumbnail(planes: RunPlanes, opts: ThumbnailOptions): Thumbnail & { level: RunPlanes } {
  const { level, raw } = drawOverlay(planes, opts);
  return { width: level.width, height: level.height, png: pngFromScanlines(level.width, level.height, raw), scale: level.scale, level };
}

/** `renderThumbnail` whose PNG deflates on node's thread pool while the caller goes on (same bytes). */
export function renderThumbnailAsync(planes: RunPlanes, opts: ThumbnailOptions): Omit<Thumbnail, 'png'> & { png: Promise<Uint8Array>; level: RunPlanes } {
  const { level, raw } = drawOverlay(planes, opts);
  return { width: level.width, height: level.height, png: pngFromScanlinesAsync(level.width, level.height, raw), scale: level.scale, level };
}

/** The overlay's PNG scanlines (filter None, posterised to `opts.bits`, default 5). */
function drawOverlay(planes: RunPlanes, opts: ThumbnailOptions): { level: RunPlanes & { scale: number }; raw: Uint8Array } {
  const level = downsamplePlanes(planes, opts.box, opts.maxSide);
  const { width: w, height: h } = level;
  const bits = opts.bits ?? 5;
  const layers: ImageLayer[] = level.channels.map(({ role, plane, contrast }) => ({
    kind: 'image',
    data: plane as Float32Array,
    colormap: role === 'objects' ? 'gray' : (ROLE_COLORMAP[role] ?? 'gray'),
    contrast: contrast ?? percentileContrast(plane),
    opacity: 1,
    visible: true,
  }));
  const positive = positiveTable(opts.positive);
  // The same arithmetic in WebAssembly (kernels-wasm.ts): the JavaScript below ran cold, ≈ 20 ms per 560² overlay.
  const labels = [level.cell ?? level.objects, level.marker, level.region, level.rois];
  if (positive && layers.every((l) => l.data instanceof Float32Array) && labels.every((p) => p === null || p instanceof Uint32Array)) {
    const raw = overlayScanlines({
      width: w,
      height: h,
      images: layers.map((l) => ({ data: l.data as Float32Array, contrast: l.contrast, rgb: COLORMAPS[l.colormap] ?? COLORMAPS.gray })),
      cell: labels[0] as Uint32Array | null,
      marker: labels[1] as Uint32Array | null,
      region: labels[2] as Uint32Array | null,
      rois: labels[3] as Uint32Array | null,
      isPositive: positive,
      noImage: level.channels.length === 0,
      roiId: opts.roiId,
      colors: [NO_IMAGE_FILL, OVERLAY.positive, OVERLAY.positiveOutline, OVERLAY.cellOutline, OVERLAY.region, OVERLAY.marker, OVERLAY.roi],
      bits,
    });
    if (raw) return { level, raw };
  }
  const rgba = compositeLayers(w, h, layers);
  drawLabels(rgba, level, opts.positive, opts.roiId);
  return { level, raw: pngScanlines(w, h, rgba, { bits }) };
}

/** Positive labels as a byte per label (1 = positive); null when the largest is too large for a table. */
function positiveTable(positive: Set<number>): Uint8Array | null {
  let maxPositive = 0;
  for (const id of positive) if (id > maxPositive && Number.isInteger(id)) maxPositive = id;
  if (maxPositive > MAX_LOOKUP_LABEL) return null;
  const isPositive = new Uint8Array(maxPositive + 1);
  for (const id of positive) if (id >= 0 && Number.isInteger(id)) isPositive[id] = 1;
  return isPositive;
}

/** The label overlays, pixel by pixel in this order: cell fill and outline, third-channel, marker, ROI outlines. */
function drawLabels(rgba: Uint8ClampedArray, level: RunPlanes, positive: Set<number>, roiId: number | undefined): void {
  const { width: w, height: h } = level;
  const cell = (level.cell ?? level.objects) as Uint32Array | null;
  const marker = level.marker as Uint32Array | null;
  const region = level.region as Uint32Array | null;
  const rois = level.rois as Uint32Array | null;
  const noImage = level.channels.length === 0;
  // Positive labels as a lookup table (a Set lookup per cell pixel was a visible share of a 560² overlay);
  // labels too large for a table of bytes keep the Set.
  let maxPositive = 0;
  for (const id of positive) if (id > maxPositive && Number.isInteger(id)) maxPositive = id;
  const table = maxPositive <= MAX_LOOKUP_LABEL;
  const isPositive = new Uint8Array(table ? maxPositive + 1 : 0);
  if (table) for (const id of positive) if (id >= 0 && Number.isInteger(id)) isPositive[id] = 1;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      if (cell) {
        const id = cell[i];
        if (id !== 0) {
          if (noImage) blend(rgba, i, NO_IMAGE_FILL);
          const pos = table ? id <= maxPositive && isPositive[id] === 1 : positive.has(id);
          if (pos) blend(rgba, i, OVERLAY.positive);
          if (isEdge(cell, w, h, x, y, i, id)) blend(rgba, i, pos ? OVERLAY.positiveOutline : OVERLAY.cellOutline);
        }
      }
      if (region && region[i] !== 0 && isEdge(region, w, h, x, y, i, region[i])) blend(rgba, i, OVERLAY.region);
      if (marker && marker[i] !== 0 && isEdge(marker, w, h, x, y, i, marker[i])) blend(rgba, i, OVERLAY.marker);
      if (rois && (roiId === undefined ? rois[i] !== 0 : rois[i] === roiId) && isEdge(rois, w, h, x, y, i, rois[i])) blend(rgba, i, OVERLAY.roi);
    }
  }
}

export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}
