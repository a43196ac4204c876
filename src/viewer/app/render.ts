/**
 * Compositing and the canvas (issue 16.8). The visible plane is composited once (src/render/composite.ts, shared
 * with `cellcoloc snapshot`) into an image-sized canvas; pan and zoom only redraw that canvas with a transform
 * (one drawImage per frame), so they stay smooth on 2048×2048 images. Recompositing happens only when the data
 * or a layer setting changes. Vector overlays (overlays.ts) are drawn in screen space on top.
 */
import { compositeLayers, type Layer } from '../../render/composite.js';
import { LABEL_LAYER_ORDER } from '../layer-style.js';
import { model, hooks } from './state.js';
import { fitView as fitViewTo, imageRect } from './geometry.js';
import type { PreviewPlacement } from './api.js';
import { drawOverlays } from './overlays.js';
import { $ } from './dom.js';

export const canvas = document.getElementById('view') as HTMLCanvasElement;
const ctx = canvas.getContext('2d')!;
/** The composite at image resolution (what "Save view as PNG" saves). */
export const base = document.createElement('canvas');
const baseCtx = base.getContext('2d')!;
let rgba: Uint8ClampedArray<ArrayBuffer> | undefined;
/** Reduced-resolution composite of the first paint, shown (at its place on the image) until `base` holds a composite. */
let preview: HTMLCanvasElement | null = null;
/** Where the preview lies on the image (image pixels; the server's `X-Origin` / `X-Pixel`). */
let previewAt: PreviewPlacement = { originYx: [0, 0], pixelYx: [1, 1] };
let firstFrameDrawn = false;
/** Called once after the next draw (the preview's frame is on the canvas before the full planes are asked for). */
let afterDraw: (() => void) | null = null;

/** Resizes the composite canvas to the image (after a state load). */
export function setImageSize(Y: number, X: number): void {
  if (base.width !== X || base.height !== Y) {
    base.width = X;
    base.height = Y;
    rgba = undefined;
  }
}

/** The layers to composite, bottom first: channels (additive), then label layers in their fixed order. */
export function currentLayers(): Layer[] {
  const out: Layer[] = [];
  for (const im of model.images) {
    if (im.data && im.contrast) {
      out.push({ kind: 'image', data: im.data, colormap: im.colormap, contrast: im.contrast, gamma: im.gamma, opacity: im.opacity, visible: im.visible });
    }
  }
  for (const name of LABEL_LAYER_ORDER) {
    const l = model.labels.get(name);
    if (!l?.data) continue;
    out.push({
      kind: 'labels',
      data: l.data,
      opacity: l.opacity,
      outline: l.mode === 'outline',
      color: l.colorMode === 'single' ? l.color : null,
      visible: l.visible,
      highlight: name === 'cell' ? model.selectedCell : 0,
    });
  }
  return out;
}

/**
 * Paints a reduced-resolution composite (the first paint of a large image) at its place on the image — block means
 * of the analysed plane, or a coarser level of a multiscale store — and waits for its frame (≤ 200 ms).
 */
export async function showPreview(w: number, h: number, layers: Layer[], at: PreviewPlacement): Promise<void> {
  const px = compositeLayers(w, h, layers);
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.getContext('2d')!.putImageData(new ImageData(px, w, h), 0, 0);
  preview = c;
  previewAt = at;
  if (!hooks.firstImageMs) hooks.firstImageMs = performance.now();
  // Let the preview's frame reach the canvas before the full planes' transfer competes for the CPU (not longer
  // than 200 ms: a hidden tab gets no animation frames).
  await new Promise<void>((done) => {
    afterDraw = done;
    setTimeout(done, 200);
    requestDraw();
  });
}

export const hasPreview = (): boolean => preview !== null;

/** One turn of the event loop (a message, not a timer: timers are clamped, and throttled in hidden tabs). */
const yieldChannel = new MessageChannel();
const yieldWaiters: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
function yieldToEvents(): Promise<void> {
  return new Promise((r) => {
    yieldWaiters.push(r);
    yieldChannel.port2.postMessage(0);
  });
}

/** Bumped by every composite: a banded composite that sees another one start gives up. */
let compositeGen = 0;

/**
 * The same composite as `recomposite`, built in bands of rows with a yield to the event loop between them
 * (pointer, wheel and timers are served meanwhile; the preview stays on screen until the last band). Only
 * for image layers (label outlines need the rows above and below); otherwise it is `recomposite`.
 */
export async function recompositeInBands(): Promise<void> {
  const { X, Y } = model;
  const layers = currentLayers();
  if (layers.some((l) => l.kind !== 'image')) return recomposite();
  const gen = ++compositeGen;
  const t0 = performance.now();
  if (!rgba || rgba.length !== 4 * X * Y) rgba = new Uint8ClampedArray(4 * X * Y);
  const out = rgba;
  const band = Math.max(1, Math.ceil(262_144 / X)); // ~0.25 Mpx per band: a few ms each
  for (let y0 = 0; y0 < Y; y0 += band) {
    const y1 = Math.min(Y, y0 + band);
    compositeLayers(
      X,
      y1 - y0,
      layers.map((l) => ({ ...l, data: l.data.subarray(y0 * X, y1 * X) }) as Layer),
      out.subarray(4 * y0 * X, 4 * y1 * X),
    );
    if (y1 < Y) await yieldToEvents();
    if (gen !== compositeGen) return; // a newer composite (layer change, next plane) replaced this one
  }
  baseCtx.putImageData(new ImageData(out, X, Y), 0, 0);
  hooks.composites++;
  hooks.compositeMs = performance.now() - t0;
  preview = null;
  requestDraw();
}

export function recomposite(): void {
  compositeGen++;
  const t0 = performance.now();
  rgba = compositeLayers(model.X, model.Y, currentLayers(), rgba);
  baseCtx.putImageData(new ImageData(rgba, model.X, model.Y), 0, 0);
  hooks.composites++;
  preview = null;
  hooks.compositeMs = performance.now() - t0;
  requestDraw();
}

let recompositePending = false;
/** Coalesces recomposites to one per animation frame (brush strokes and sliders send many events per frame). */
export function scheduleRecomposite(): void {
  if (recompositePending) return;
  recompositePending = true;
  requestAnimationFrame(() => {
    recompositePending = false;
    recomposite();
  });
}

let drawPending = false;
export function requestDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

export function fitView(): void {
  const r = canvas.getBoundingClientRect();
  fitViewTo(model.view, r.width, r.height, model.Y, model.X);
}

function draw(): void {
  drawPending = false;
  const t0 = performance.now();
  const { view, X, Y } = model;
  const dpr = window.devicePixelRatio || 1;
  const r = canvas.getBoundingClientRect();
  const w = Math.max(1, Math.round(r.width * dpr));
  const h = Math.max(1, Math.round(r.height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, w, h);
  ctx.setTransform(view.scale * dpr, 0, 0, view.scale * dpr, view.tx * dpr, view.ty * dpr);
  // Nearest-neighbour when zoomed in so single pixels stay square (as napari shows them).
  ctx.imageSmoothingEnabled = view.scale < 1;
  // Nothing composited yet: skip the (smoothed, full-size) draw of an empty base canvas at start-up.
  if (hooks.composites > 0) ctx.drawImage(base, 0, 0);
  else if (preview) {
    // Clipped to the image: a level's last pixel (or a partial last block) may reach past its edge.
    const r = imageRect(previewAt.originYx, [preview.height * previewAt.pixelYx[0], preview.width * previewAt.pixelYx[1]]);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, X, Y);
    ctx.clip();
    ctx.drawImage(preview, r.x, r.y, r.width, r.height);
    ctx.restore();
  }
  if ((hooks.composites > 0 || preview) && !firstFrameDrawn) {
    // Stamped at the next animation frame: by then the frame holding the image has been produced.
    firstFrameDrawn = true;
    requestAnimationFrame(() => (hooks.firstFrameMs = performance.now()));
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  drawOverlays(ctx);
  drawScaleBar();
  hooks.frames++;
  hooks.drawMs.push(performance.now() - t0);
  if (hooks.drawMs.length > 240) hooks.drawMs.shift();
  const after = afterDraw;
  afterDraw = null;
  after?.();
}

function drawScaleBar(): void {
  const umPerPx = model.st?.image.voxelSizeUm[2] ?? 1;
  const umPerScreenPx = umPerPx / model.view.scale;
  const target = 120 * umPerScreenPx;
  const p = Math.pow(10, Math.floor(Math.log10(target)));
  const nice = [5, 2, 1].map((m) => m * p).find((v) => v <= target) ?? p;
  $('scalebar-bar').style.width = `${nice / umPerScreenPx}px`;
  $('scalebar-text').textContent = `${+nice.toPrecision(3)} µm`;
}
