/**
 * CellColoc browser viewer (issue 8): layers, hover readout, z slider / max projection, ROI drawing,
 * run / re-analyse / export, tables with click-to-centre, label editing, Cellpose refinement, PNG.
 *
 * Rendering: the visible plane is composited once (src/viewer/render/composite.ts, shared with
 * `cellcoloc snapshot`) into an image-sized canvas; pan and zoom only redraw that canvas with a transform
 * (one drawImage per frame), so they stay smooth on 2048×2048 images. Recompositing happens only when
 * the data or a layer setting changes. Vector overlays (ROI shapes, cursor) are drawn in screen space.
 */
import {
  compositeLayers,
  percentileContrast,
  ROLE_COLORMAP,
  COLORMAPS,
  type ColormapName,
  type Layer,
  type PixelArray,
} from '../render/composite.js';
import * as api from './api.js';
import { imageToScreen, screenToImage, clientToScreen, pixelAt, zoomAbout, fitView as fitViewTo, type ScreenPoint } from './geometry.js';
import type { RoiShape, ViewerState, TableData, ZSel } from './api.js';

type LabelName = 'rois' | 'optional_region' | 'cell' | 'marker' | 'positive';
type Tool = 'pan' | 'select' | 'polygon' | 'rectangle' | 'ellipse' | 'shape' | 'paint' | 'erase' | 'fill' | 'pick' | 'split';

interface ImageState {
  role: string;
  name: string;
  data: PixelArray | null;
  colormap: ColormapName;
  contrast: [number, number] | null;
  opacity: number;
  visible: boolean;
}
interface LabelState {
  name: LabelName;
  title: string;
  data: Uint32Array | null;
  opacity: number;
  outline: boolean;
  visible: boolean;
}

const LABEL_TITLES: Record<LabelName, string> = {
  rois: 'ROIs',
  optional_region: 'third-channel labels',
  cell: 'cell masks',
  marker: 'marker masks',
  positive: 'positive cells',
};
const LABEL_ORDER: LabelName[] = ['rois', 'optional_region', 'cell', 'marker', 'positive'];

/** Hooks for the end-to-end tests and the bench (read-only for them except where noted). */
interface Hooks {
  ready: boolean;
  frames: number;
  composites: number;
  loads: number;
  lastError: string | null;
  selectedCell: number;
  view: { scale: number; tx: number; ty: number };
  shapes: RoiShape[];
  labelAt(layer: string, y: number, x: number): number;
  imageToClient(y: number, x: number): [number, number];
  busy: boolean;
  /** Duration of the last draws (ms; ring of 240) and of the last full composite, for the bench. */
  drawMs: number[];
  compositeMs: number;
  requestDraw(): void;
  /** ms from page start to the first composited image (the preview, when one is painted first). */
  firstImageMs: number;
  /** ms from page start to the animation frame after the first one that drew a composited image onto the visible canvas. */
  firstFrameMs: number;
  /** Reduction of the first paint's preview (1 = the first paint was at full resolution). */
  previewStep: number;
  /** ms from page start to the first full-resolution composite of the channels. */
  fullImageMs: number;
  /** Page-time stamps (ms) of the start-up steps, for the bench. */
  marks: Record<string, number>;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`viewer: element #${id} missing from index.html`);
  return el as T;
};

let st: ViewerState;
let Z = 1;
let Y = 1;
let X = 1;
let zSel: ZSel = 0;
const images: ImageState[] = [];
const labels = new Map<LabelName, LabelState>();
let shapes: RoiShape[] = [];
let selectedShape = -1;
/** Shapes changed since they were last loaded from or saved to the server. */
let shapesDirty = false;
let tool: Tool = 'pan';
let selectedCell = 0;
let currentSheet = 'roi_coloc_overview';
const tables = new Map<string, TableData>();
let sortCol = -1;
let sortDesc = false;

const view = { scale: 1, tx: 0, ty: 0 };
const canvas = $<HTMLCanvasElement>('view');
const ctx = canvas.getContext('2d')!;
const base = document.createElement('canvas');
const baseCtx = base.getContext('2d')!;
let rgba: Uint8ClampedArray<ArrayBuffer> | undefined;
/** Reduced-resolution composite of the first paint, shown (stretched to X×Y) until `base` holds a composite. */
let preview: HTMLCanvasElement | null = null;

const hooks: Hooks = {
  ready: false,
  frames: 0,
  composites: 0,
  loads: 0,
  lastError: null,
  selectedCell: 0,
  view,
  shapes,
  busy: false,
  drawMs: [],
  compositeMs: 0,
  firstImageMs: 0,
  firstFrameMs: 0,
  previewStep: 1,
  fullImageMs: 0,
  marks: {},
  requestDraw: () => requestDraw(),
  labelAt(layer, y, x) {
    const l = labels.get(layer as LabelName);
    return l?.data ? l.data[y * X + x] : 0;
  },
  imageToClient(y, x) {
    const r = canvas.getBoundingClientRect();
    const s = imageToScreen(view, [y + 0.5, x + 0.5]);
    return [r.left + s.x, r.top + s.y];
  },
};
(window as unknown as { __viewer: Hooks }).__viewer = hooks;

function setStatus(msg: string, isError = false): void {
  const el = $('status');
  el.textContent = msg;
  el.className = isError ? 'error' : '';
  if (isError) hooks.lastError = msg;
}

async function guard(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    setStatus(`${what}: ${(e as Error).message}`, true);
  }
}

// ---------------------------------------------------------------- data loading

async function loadState(): Promise<void> {
  st = await api.getState();
  hooks.marks.stateReceived ??= performance.now();
  [Z, Y, X] = st.image.shapeZyx;
  $('stem').textContent = st.stem;
  hooks.busy = st.busy;
  if (base.width !== X || base.height !== Y) {
    base.width = X;
    base.height = Y;
    rgba = undefined;
  }
  const zr = $<HTMLInputElement>('z');
  zr.max = String(Math.max(0, Z - 1));
  $('zbox').hidden = Z <= 1;
  if (Z <= 1) zSel = 0;
  for (const ch of st.image.channels) {
    if (!images.some((im) => im.role === ch.role)) {
      images.push({
        role: ch.role,
        name: ch.name || ch.role,
        data: null,
        colormap: ROLE_COLORMAP[ch.role] ?? 'gray',
        contrast: null,
        opacity: 1,
        visible: true,
      });
    }
  }
  for (const name of LABEL_ORDER) {
    if (st.layers[name] && !labels.has(name)) {
      labels.set(name, {
        name,
        title: LABEL_TITLES[name],
        data: null,
        opacity: name === 'rois' ? 0.3 : 0.5,
        outline: name === 'rois' || name === 'positive',
        visible: true,
      });
    }
    if (!st.layers[name]) labels.delete(name);
  }
  // Unsaved drawing survives reloads of the state (after a run, re-analysis or refinement).
  if (!shapesDirty && !dragShape) {
    shapes = st.shapes.map((s) => ({ type: s.type, data: s.data.map((p) => [p[0], p[1]] as [number, number]) }));
    hooks.shapes = shapes;
  }
  buildLayerList();
  buildRefine();
  updateButtons();
}

/**
 * Loads every layer's plane for the current z selection. The channels are composited as soon as they
 * arrive (first image on screen) and again when the label layers follow (uint32: up to 2× larger on the wire).
 */
async function loadPlanes(withPreview = false): Promise<void> {
  const z = zSel;
  // A preview that fails (an older server) only costs the progressive first paint.
  if (withPreview) await paintPreview(z).catch(() => undefined);
  const imgs = Promise.all(
    images.map(async (im) => {
      const { data, contrast } = await api.getChannel(im.role, z);
      hooks.marks[`channel_${im.role}`] ??= performance.now();
      im.data = data;
      // The server's limits are the same percentiles of the same plane (computed once there).
      if (!im.contrast) im.contrast = contrast ?? percentileContrast(data);
    }),
  );
  // Labels are requested after the channels: the server answers one request at a time, so asking for
  // them together would delay the first image by the label planes' encoding and transfer.
  await imgs;
  hooks.marks.contrast ??= performance.now();
  // Over a preview the page stays responsive while the full-resolution composite is built in bands.
  if (preview) await recompositeInBands();
  else recomposite();
  if (!hooks.firstImageMs) hooks.firstImageMs = performance.now();
  if (!hooks.fullImageMs) hooks.fullImageMs = performance.now();
  await Promise.all(
    [...labels.values()].map(async (l) => {
      l.data = await api.getLabels(l.name, z);
    }),
  );
  hooks.loads++;
  $('zlabel').textContent = Z > 1 ? (z === 'max' ? `max projection of ${Z} planes` : `z = ${z} / ${Z - 1}`) : '';
  buildLayerList();
  recomposite();
  if (!hooks.firstImageMs) hooks.firstImageMs = performance.now();
}

/**
 * Reduction of the first paint: the largest power of two at which the preview still has at least one pixel
 * per device pixel of the fitted view (the window bounds the canvas, so no layout is needed). 1 = no preview.
 */
function previewStep(): number {
  const dpr = window.devicePixelRatio || 1;
  const shown = Math.min(window.innerWidth / X, window.innerHeight / Y) * dpr; // device px per image px, at most
  let step = 1;
  while (step < 16 && shown > 0 && step * 2 * shown <= 1) step *= 2;
  return step;
}

/**
 * First paint on large images: the whole field of view from `step`×`step` block means (the server's
 * `?step=`), with the full-resolution contrast limits, stretched to the image size on screen. `loadPlanes`
 * then loads the full planes, and the full composite replaces it.
 */
async function paintPreview(z: ZSel): Promise<void> {
  const step = previewStep();
  hooks.previewStep = step;
  if (step === 1) return;
  const got = await Promise.all(images.map((im) => api.getChannel(im.role, z, step, true)));
  hooks.marks.previewReceived = performance.now();
  const [h, w] = got[0].shape;
  const layers: Layer[] = [];
  images.forEach((im, i) => {
    const g = got[i];
    // The default limits are the full plane's (the server's X-Contrast); never percentiles of the block means.
    if (!im.contrast && g.contrast) im.contrast = g.contrast;
    // Display levels (0..255 of the contrast limits) when the server scaled the preview, else raw block means.
    const contrast: [number, number] = g.scaled ? [0, 255] : (im.contrast ?? percentileContrast(g.data));
    layers.push({ kind: 'image', data: g.data, colormap: im.colormap, contrast, opacity: im.opacity, visible: im.visible });
  });
  const px = compositeLayers(w, h, layers);
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.getContext('2d')!.putImageData(new ImageData(px, w, h), 0, 0);
  preview = c;
  if (!hooks.firstImageMs) hooks.firstImageMs = performance.now();
  // Let the preview's frame reach the canvas before the full planes' transfer competes for the CPU (not longer
  // than 200 ms: a hidden tab gets no animation frames).
  await new Promise<void>((done) => {
    afterDraw = done;
    setTimeout(done, 200);
    requestDraw();
  });
}

let firstFrameDrawn = false;

/** Called once after the next draw (the preview's frame is on the canvas before the full planes are asked for). */
let afterDraw: (() => void) | null = null;

async function reloadLabels(names: LabelName[]): Promise<void> {
  await Promise.all(
    names.filter((n) => labels.has(n)).map(async (n) => {
      labels.get(n)!.data = await api.getLabels(n, zSel);
    }),
  );
  recomposite();
}

async function loadTables(): Promise<void> {
  const sheets = ['roi_coloc_overview', 'cell_summary'].filter((s) => st.tables.includes(s));
  const data = await Promise.all(sheets.map((s) => api.getTable(s)));
  tables.clear();
  sheets.forEach((s, i) => tables.set(s, data[i]));
  renderTable();
}

// ---------------------------------------------------------------- rendering

function currentLayers(): Layer[] {
  const out: Layer[] = [];
  for (const im of images) {
    if (im.data && im.contrast) {
      out.push({ kind: 'image', data: im.data, colormap: im.colormap, contrast: im.contrast, opacity: im.opacity, visible: im.visible });
    }
  }
  for (const name of LABEL_ORDER) {
    const l = labels.get(name);
    if (l?.data) {
      out.push({
        kind: 'labels',
        data: l.data,
        opacity: l.opacity,
        outline: l.outline,
        visible: l.visible,
        highlight: name === 'cell' ? selectedCell : 0,
      });
    }
  }
  return out;
}

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
async function recompositeInBands(): Promise<void> {
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

function recomposite(): void {
  compositeGen++;
  const t0 = performance.now();
  rgba = compositeLayers(X, Y, currentLayers(), rgba);
  baseCtx.putImageData(new ImageData(rgba, X, Y), 0, 0);
  hooks.composites++;
  preview = null;
  hooks.compositeMs = performance.now() - t0;
  requestDraw();
}

let recompositePending = false;
/** Coalesces recomposites to one per animation frame (brush strokes send many mouse moves per frame). */
function scheduleRecomposite(): void {
  if (recompositePending) return;
  recompositePending = true;
  requestAnimationFrame(() => {
    recompositePending = false;
    recomposite();
  });
}

let drawPending = false;
function requestDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

function fitView(): void {
  const r = canvas.getBoundingClientRect();
  fitViewTo(view, r.width, r.height, Y, X);
}

function draw(): void {
  drawPending = false;
  const t0 = performance.now();
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
  else if (preview) ctx.drawImage(preview, 0, 0, X, Y);
  if ((hooks.composites > 0 || preview) && !firstFrameDrawn) {
    // Stamped at the next animation frame: by then the frame holding the image has been produced.
    firstFrameDrawn = true;
    requestAnimationFrame(() => (hooks.firstFrameMs = performance.now()));
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  drawShapes();
  drawCursor();
  drawScaleBar();
  hooks.frames++;
  hooks.drawMs.push(performance.now() - t0);
  if (hooks.drawMs.length > 240) hooks.drawMs.shift();
  const after = afterDraw;
  afterDraw = null;
  after?.();
}

/** Image [y, x] → canvas {x, y} (geometry.ts holds the one convention). */
const toScreen = (y: number, x: number): ScreenPoint => imageToScreen(view, [y, x]);

function shapePath(s: RoiShape): void {
  ctx.beginPath();
  if (s.type === 'ellipse') {
    const ys = s.data.map((p) => p[0]);
    const xs = s.data.map((p) => p[1]);
    const a = toScreen(Math.min(...ys), Math.min(...xs));
    const b = toScreen(Math.max(...ys), Math.max(...xs));
    ctx.ellipse((a.x + b.x) / 2, (a.y + b.y) / 2, Math.abs(b.x - a.x) / 2, Math.abs(b.y - a.y) / 2, 0, 0, 2 * Math.PI);
  } else {
    s.data.forEach(([y, x], i) => {
      const q = toScreen(y, x);
      if (i === 0) ctx.moveTo(q.x, q.y);
      else ctx.lineTo(q.x, q.y);
    });
    ctx.closePath();
  }
}

function drawShapes(): void {
  ctx.lineWidth = 2;
  ctx.font = 'bold 14px "DejaVu Sans", sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  shapes.forEach((s, i) => {
    shapePath(s);
    ctx.strokeStyle = i === selectedShape ? '#ffd43b' : '#f8f9fa';
    ctx.stroke();
    const cy = s.data.reduce((a, p) => a + p[0], 0) / s.data.length;
    const cx = s.data.reduce((a, p) => a + p[1], 0) / s.data.length;
    const c = toScreen(cy, cx);
    ctx.fillStyle = '#fff';
    ctx.fillText(`ROI ${i + 1}`, c.x, c.y);
  });
  if (drawing && drawing.length > 0) {
    ctx.beginPath();
    drawing.forEach(([y, x], i) => {
      const q = toScreen(y, x);
      if (i === 0) ctx.moveTo(q.x, q.y);
      else ctx.lineTo(q.x, q.y);
    });
    if (cursor) {
      const q = toScreen(cursor[0], cursor[1]);
      ctx.lineTo(q.x, q.y);
    }
    ctx.strokeStyle = '#ffd43b';
    ctx.stroke();
  }
  if (dragBox) {
    const s = boxShape(dragBox[0], dragBox[1], tool === 'ellipse' ? 'ellipse' : 'rectangle');
    shapePath(s);
    ctx.strokeStyle = '#ffd43b';
    ctx.stroke();
  }
  if (splitLine) {
    const a = toScreen(splitLine[0][0], splitLine[0][1]);
    const b = toScreen(splitLine[1][0], splitLine[1][1]);
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.strokeStyle = '#ff6b6b';
    ctx.stroke();
  }
}

function drawCursor(): void {
  if (!cursor || (tool !== 'paint' && tool !== 'erase')) return;
 // The painted disc is centred on the pointer's continuous position (see the mousedown handler): so is the circle.
  const c = toScreen(cursor[0], cursor[1]);
  ctx.beginPath();
  ctx.arc(c.x, c.y, Math.max(1, (brushSize() / 2) * view.scale), 0, 2 * Math.PI);
  ctx.strokeStyle = tool === 'erase' ? '#ff6b6b' : '#ffffff';
  ctx.lineWidth = 2;
  ctx.stroke();
}

function drawScaleBar(): void {
  const umPerPx = st?.image.voxelSizeUm[2] ?? 1;
  const umPerScreenPx = umPerPx / view.scale;
  const target = 120 * umPerScreenPx;
  const p = Math.pow(10, Math.floor(Math.log10(target)));
  const nice = [5, 2, 1].map((m) => m * p).find((v) => v <= target) ?? p;
  $('scalebar-bar').style.width = `${nice / umPerScreenPx}px`;
  $('scalebar-text').textContent = `${+nice.toPrecision(3)} µm`;
}

// ---------------------------------------------------------------- layer panel

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  for (const k of kids) e.append(k);
  return e;
}

function buildLayerList(): void {
  const box = $('layers');
  box.replaceChildren();
  for (const im of images) {
    const vis = el('input', { type: 'checkbox', checked: im.visible });
    vis.dataset.layer = im.role;
    vis.onchange = () => { im.visible = vis.checked; recomposite(); };
    const op = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: String(im.opacity), title: 'opacity' });
    op.oninput = () => { im.opacity = Number(op.value); scheduleRecomposite(); };
    const cm = el('select');
    for (const name of Object.keys(COLORMAPS)) cm.append(el('option', { value: name, textContent: name, selected: name === im.colormap }));
    cm.onchange = () => { im.colormap = cm.value as ColormapName; recomposite(); };
    const lo = el('input', { type: 'number', value: String(+(im.contrast?.[0] ?? 0).toPrecision(6)), title: 'contrast low' });
    const hi = el('input', { type: 'number', value: String(+(im.contrast?.[1] ?? 1).toPrecision(6)), title: 'contrast high' });
    const setC = () => {
      const a = Number(lo.value);
      const b = Number(hi.value);
      if (Number.isFinite(a) && Number.isFinite(b) && b > a) { im.contrast = [a, b]; recomposite(); }
    };
    lo.onchange = setC;
    hi.onchange = setC;
    const auto = el('button', { textContent: 'auto', title: 'contrast from the 0.5–99.5 % percentiles of this plane' });
    auto.onclick = () => { if (im.data) { im.contrast = percentileContrast(im.data); buildLayerList(); recomposite(); } };
    box.append(
      el('div', { className: 'layer' },
        el('label', {}, vis, el('span', { className: 'name', textContent: ` ${im.name}` }), ` (${im.role})`),
        el('div', { className: 'row' }, 'opacity ', op, cm),
        el('div', { className: 'row' }, 'contrast ', lo, hi, auto)),
    );
  }
  for (const name of LABEL_ORDER) {
    const l = labels.get(name);
    if (!l) continue;
    const vis = el('input', { type: 'checkbox', checked: l.visible });
    vis.dataset.layer = name;
    vis.onchange = () => { l.visible = vis.checked; recomposite(); };
    const op = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: String(l.opacity), title: 'opacity' });
    op.oninput = () => { l.opacity = Number(op.value); scheduleRecomposite(); };
    const ol = el('input', { type: 'checkbox', checked: l.outline });
    ol.onchange = () => { l.outline = ol.checked; recomposite(); };
    box.append(
      el('div', { className: 'layer' },
        el('label', {}, vis, el('span', { className: 'name', textContent: ` ${l.title}` }), l.data ? '' : ' (no data)'),
        el('div', { className: 'row' }, 'opacity ', op, el('label', {}, ol, ' outline'))),
    );
  }
}

// ---------------------------------------------------------------- tables

function renderTable(): void {
  const t = tables.get(currentSheet);
  const box = $('table');
  box.replaceChildren();
  if (!t) {
    $('tableInfo').textContent = `no ${currentSheet} table yet: run the analysis`;
    return;
  }
  const rows = t.rows.slice();
  if (sortCol >= 0) {
    rows.sort((a, b) => {
      const va = a[sortCol];
      const vb = b[sortCol];
      const d = va === vb ? 0 : va === null ? 1 : vb === null ? -1 : va < vb ? -1 : 1;
      return sortDesc ? -d : d;
    });
  }
  $('tableInfo').textContent = `${currentSheet}: ${t.rows.length} rows`;
  const labelIdx = t.columns.findIndex((c) => c.name === 'cell_label');
  const posIdx = t.columns.findIndex((c) => c.name === 'marker_positive');
  const thead = el('tr');
  t.columns.forEach((c, i) => {
    const th = el('th', { textContent: c.name + (i === sortCol ? (sortDesc ? ' ▼' : ' ▲') : '') });
    th.onclick = () => {
      if (sortCol === i) sortDesc = !sortDesc;
      else { sortCol = i; sortDesc = false; }
      renderTable();
    };
    thead.append(th);
  });
  const tbody = el('tbody');
  const fmt = (v: unknown): string => (typeof v === 'number' && !Number.isInteger(v) ? String(+v.toPrecision(5)) : v === null ? '' : String(v));
  for (const row of rows) {
    const tr = el('tr');
    for (const v of row) tr.append(el('td', { textContent: fmt(v) }));
    if (posIdx >= 0 && row[posIdx] === true) tr.classList.add('pos');
    if (labelIdx >= 0) {
      const lab = Number(row[labelIdx]);
      tr.dataset.cell = String(lab);
      if (lab === selectedCell) tr.classList.add('sel');
      tr.onclick = () => void selectCell(lab, true);
    }
    tbody.append(tr);
  }
  box.append(el('table', {}, el('thead', {}, thead), tbody));
}

/** Highlights a cell; with `centre`, pans the view onto its bounding box in the current plane. */
async function selectCell(label: number, centre: boolean): Promise<void> {
  selectedCell = label;
  hooks.selectedCell = label;
  const cell = labels.get('cell');
  if (centre && cell?.data) {
    let box = bbox(cell.data, label);
    if (!box && Z > 1 && zSel !== 'max') {
      // The cell is not on this plane: show the max projection, where every cell appears.
      zSel = 'max';
      $<HTMLInputElement>('zmax').checked = true;
      await loadPlanes();
      box = bbox(labels.get('cell')!.data!, label);
    }
    if (box) {
      const r = canvas.getBoundingClientRect();
      const cy = (box[0] + box[2] + 1) / 2;
      const cx = (box[1] + box[3] + 1) / 2;
      view.scale = Math.max(view.scale, Math.min(8, (0.3 * Math.min(r.width, r.height)) / Math.max(8, box[2] - box[0] + 1, box[3] - box[1] + 1)));
      view.tx = r.width / 2 - cx * view.scale;
      view.ty = r.height / 2 - cy * view.scale;
    }
  }
  if (currentSheet !== 'cell_summary' && !centre) {
    currentSheet = 'cell_summary';
    for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) b.classList.toggle('active', b.dataset.sheet === currentSheet);
  }
  renderTable();
  if (!centre) document.querySelector('#table tr.sel')?.scrollIntoView({ block: 'center' });
  recomposite();
}

function bbox(data: Uint32Array, label: number): [number, number, number, number] | null {
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

// ---------------------------------------------------------------- label editing

interface Edit { layer: 'cell' | 'marker'; z: number; before: Uint32Array; after?: Uint32Array }
const undoStack: Edit[] = [];
const redoStack: Edit[] = [];
const MAX_UNDO = 20;
let pendingPut: Promise<void> = Promise.resolve();
let openEdit: Edit | null = null;

const editLayerName = (): 'cell' | 'marker' => $<HTMLSelectElement>('editLayer').value as 'cell' | 'marker';
const brushSize = (): number => Math.max(1, Number($<HTMLInputElement>('brush').value) || 1);
const curLabel = (): number => Math.max(0, Math.floor(Number($<HTMLInputElement>('label').value) || 0));

/** The editable plane, or null with a reason shown (edits apply per plane; a max projection is not editable in 3D). */
function editTarget(): { layer: 'cell' | 'marker'; z: number; data: Uint32Array } | null {
  const layer = editLayerName();
  const l = labels.get(layer);
  if (!l?.data) {
    $('editInfo').textContent = `no ${layer} masks to edit yet: run the analysis first`;
    return null;
  }
  if (Z > 1 && zSel === 'max') {
    $('editInfo').textContent = 'edits apply to one plane: untick "max projection" and pick a z';
    return null;
  }
  return { layer, z: zSel === 'max' ? 0 : zSel, data: l.data };
}

function beginEdit(): { layer: 'cell' | 'marker'; z: number; data: Uint32Array } | null {
  const t = editTarget();
  if (!t) return null;
  openEdit = { layer: t.layer, z: t.z, before: t.data.slice() };
  return t;
}

function commitEdit(): void {
  const e = openEdit;
  openEdit = null;
  if (!e) return;
  const l = labels.get(e.layer)!;
  undoStack.push(e);
  if (undoStack.length > MAX_UNDO) undoStack.shift();
  redoStack.length = 0;
  sendPlane(e.layer, e.z, l.data!);
  updateButtons();
}

function sendPlane(layer: 'cell' | 'marker', z: number, data: Uint32Array): void {
  const copy = data.slice();
  pendingPut = pendingPut.then(() => api.putLabels(layer, z, copy)).catch((err: Error) => setStatus(`saving the edited ${layer} plane: ${err.message}`, true));
  $('editInfo').textContent = `edited ${layer} masks (z=${z}); press Re-analyse to update the tables`;
}

async function undoRedo(from: Edit[], to: Edit[]): Promise<void> {
  const e = from.pop();
  if (!e) return;
  if (zSel !== e.z && Z > 1) {
    zSel = e.z;
    $<HTMLInputElement>('z').value = String(e.z);
    $<HTMLInputElement>('zmax').checked = false;
    await loadPlanes();
  }
  const l = labels.get(e.layer)!;
  const current = l.data!.slice();
  l.data!.set(e.before);
  to.push({ layer: e.layer, z: e.z, before: current });
  sendPlane(e.layer, e.z, l.data!);
  recomposite();
  updateButtons();
}

function paintDisc(data: Uint32Array, cy: number, cx: number, value: number): void {
  const r = brushSize() / 2;
  const y0 = Math.max(0, Math.floor(cy - r + 0.5));
  const y1 = Math.min(Y - 1, Math.floor(cy + r - 0.5));
  const x0 = Math.max(0, Math.floor(cx - r + 0.5));
  const x1 = Math.min(X - 1, Math.floor(cx + r - 0.5));
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dy = y - cy;
      const dx = x - cx;
      if (dy * dy + dx * dx < r2 || (y === Math.round(cy) && x === Math.round(cx))) data[y * X + x] = value;
    }
  }
}

function paintSegment(data: Uint32Array, a: [number, number], b: [number, number], value: number): void {
  const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1])));
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    paintDisc(data, a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, value);
  }
}

/** 4-connected flood fill of the region containing (y, x) with `value`; returns the number of pixels changed. */
function floodFill(data: Uint32Array, y: number, x: number, value: number): number {
  const target = data[y * X + x];
  if (target === value) return 0;
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

function maxLabel(data: Uint32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

function replaceLabel(data: Uint32Array, from: number, to: number): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === from) { data[i] = to; n++; }
  return n;
}

/**
 * Split: the label under the middle of the line loses the pixels within 1 px of the line (the cut),
 * then the remaining part that is 4-connected to its first pixel keeps the id and every other part
 * gets a new id (max + 1). Returns false (nothing changed) when the line does not cut the label in two.
 */
function splitAlongLine(data: Uint32Array, a: [number, number], b: [number, number]): boolean {
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
  let L = data[mid[0] * X + mid[1]];
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
  floodFill(data, (first / X) | 0, first % X, SENT);
  const newId = maxLabel(data.map((v) => (v === SENT ? 0 : v))) + 1;
  const moved = replaceLabel(data, L, newId);
  replaceLabel(data, SENT, L);
  if (moved === 0) { data.set(before); return false; }
  return true;
}

// ---------------------------------------------------------------- ROI shapes

function boxShape(a: [number, number], b: [number, number], type: 'rectangle' | 'ellipse'): RoiShape {
  const y0 = Math.min(a[0], b[0]);
  const y1 = Math.max(a[0], b[0]);
  const x0 = Math.min(a[1], b[1]);
  const x1 = Math.max(a[1], b[1]);
  return { type, data: [[y0, x0], [y0, x1], [y1, x1], [y1, x0]] };
}

function shapeContains(s: RoiShape, y: number, x: number): boolean {
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

function shapesChanged(): void {
  shapesDirty = true;
  hooks.shapes = shapes;
  $('roiInfo').textContent = `${shapes.length} ROI shape(s), not saved yet — press "Save ROIs"`;
  requestDraw();
}

function closePolygon(): void {
  if (drawing && drawing.length >= 3) {
    shapes.push({ type: 'polygon', data: drawing.map((p) => [p[0], p[1]] as [number, number]) });
    shapesChanged();
  }
  drawing = null;
  requestDraw();
}

// ---------------------------------------------------------------- pointer handling

let cursor: [number, number] | null = null;
let drawing: [number, number][] | null = null;
let dragBox: [[number, number], [number, number]] | null = null;
let dragShape: { index: number; start: [number, number]; orig: [number, number][] } | null = null;
let splitLine: [[number, number], [number, number]] | null = null;
let panning: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
let lastPaint: [number, number] | null = null;

function toImage(ev: MouseEvent): [number, number] {
  return screenToImage(view, clientToScreen(canvas.getBoundingClientRect(), ev.clientX, ev.clientY));
}

const inImage = (p: [number, number]): [number, number] | null => pixelAt(p, Y, X);

canvas.addEventListener('mousedown', (ev) => {
  const p = toImage(ev);
  const pix = inImage(p);
  if (ev.button === 1 || ev.button === 2 || tool === 'pan' || tool === 'select') {
    panning = { x: ev.clientX, y: ev.clientY, tx: view.tx, ty: view.ty, moved: false };
    return;
  }
  if (tool === 'polygon') {
    if (!drawing) drawing = [];
    const first = drawing[0];
    if (first && drawing.length >= 3 && Math.hypot(first[0] - p[0], first[1] - p[1]) * view.scale < 8) closePolygon();
    else drawing.push(p);
    requestDraw();
  } else if (tool === 'rectangle' || tool === 'ellipse') {
    dragBox = [p, p];
  } else if (tool === 'shape') {
    selectedShape = -1;
    for (let i = shapes.length - 1; i >= 0; i--) {
      if (shapeContains(shapes[i], p[0], p[1])) { selectedShape = i; break; }
    }
    if (selectedShape >= 0) dragShape = { index: selectedShape, start: p, orig: shapes[selectedShape].data.map((q) => [q[0], q[1]]) };
    updateButtons();
    requestDraw();
  } else if (tool === 'split') {
    splitLine = [p, p];
  } else if (pix) {
    if (tool === 'pick') {
      const l = labels.get(editLayerName());
      if (l?.data) $<HTMLInputElement>('label').value = String(l.data[pix[0] * X + pix[1]]);
      return;
    }
    const t = beginEdit();
    if (!t) return;
    if (tool === 'fill') {
      floodFill(t.data, pix[0], pix[1], curLabel());
      commitEdit();
      recomposite();
    } else {
      lastPaint = [p[0] - 0.5, p[1] - 0.5];
      paintDisc(t.data, lastPaint[0], lastPaint[1], tool === 'erase' ? 0 : curLabel());
      recomposite();
    }
  }
});

window.addEventListener('mousemove', (ev) => {
  const p = toImage(ev);
  if (ev.target === canvas || panning || dragBox || dragShape || lastPaint || splitLine) {
    cursor = p;
    updateHover(p);
  }
  if (panning) {
    const dx = ev.clientX - panning.x;
    const dy = ev.clientY - panning.y;
    if (Math.abs(dx) + Math.abs(dy) > 2) panning.moved = true;
    view.tx = panning.tx + dx;
    view.ty = panning.ty + dy;
  } else if (dragBox) {
    dragBox[1] = p;
  } else if (dragShape) {
    const dy = p[0] - dragShape.start[0];
    const dx = p[1] - dragShape.start[1];
    shapes[dragShape.index].data = dragShape.orig.map((q) => [q[0] + dy, q[1] + dx]);
  } else if (splitLine) {
    splitLine[1] = p;
  } else if (lastPaint && openEdit) {
    const l = labels.get(openEdit.layer)!;
    const c: [number, number] = [p[0] - 0.5, p[1] - 0.5];
    paintSegment(l.data!, lastPaint, c, tool === 'erase' ? 0 : curLabel());
    lastPaint = c;
    scheduleRecomposite();
  }
  requestDraw();
});

window.addEventListener('mouseup', (ev) => {
  if (panning) {
    const wasClick = !panning.moved;
    panning = null;
    if (wasClick && tool === 'select') {
      const pix = inImage(toImage(ev));
      const cell = labels.get('cell');
      if (pix && cell?.data) void selectCell(cell.data[pix[0] * X + pix[1]], false);
    }
  } else if (dragBox) {
    const [a, b] = dragBox;
    dragBox = null;
    if (Math.abs(a[0] - b[0]) >= 1 && Math.abs(a[1] - b[1]) >= 1) {
      shapes.push(boxShape(a, b, tool === 'ellipse' ? 'ellipse' : 'rectangle'));
      shapesChanged();
    }
  } else if (dragShape) {
    dragShape = null;
    shapesChanged();
  } else if (splitLine) {
    const [a, b] = splitLine;
    splitLine = null;
    const t = beginEdit();
    if (t) {
      if (splitAlongLine(t.data, a, b)) { commitEdit(); recomposite(); }
      else { openEdit = null; $('editInfo').textContent = 'the line does not cut a label in two'; }
    }
  } else if (lastPaint) {
    lastPaint = null;
    commitEdit();
  }
  requestDraw();
});

canvas.addEventListener('dblclick', () => { if (tool === 'polygon') closePolygon(); });
canvas.addEventListener('contextmenu', (ev) => ev.preventDefault());
canvas.addEventListener('mouseleave', () => { cursor = null; requestDraw(); });

canvas.addEventListener('wheel', (ev) => {
  ev.preventDefault();
  zoomAbout(view, clientToScreen(canvas.getBoundingClientRect(), ev.clientX, ev.clientY), Math.exp(-ev.deltaY * 0.0015));
  requestDraw();
}, { passive: false });

window.addEventListener('keydown', (ev) => {
  if ((ev.target as HTMLElement).tagName === 'INPUT') return;
  if (ev.key === 'Enter' && tool === 'polygon') closePolygon();
  else if (ev.key === 'Escape') { drawing = null; requestDraw(); }
  else if ((ev.key === 'Delete' || ev.key === 'Backspace') && selectedShape >= 0) deleteShape();
  else if ((ev.ctrlKey || ev.metaKey) && ev.key === 'z') void undoRedo(undoStack, redoStack);
  else if ((ev.ctrlKey || ev.metaKey) && (ev.key === 'y' || ev.key === 'Z')) void undoRedo(redoStack, undoStack);
});

window.addEventListener('resize', requestDraw);

function updateHover(p: [number, number]): void {
  const pix = inImage(p);
  const box = $('hover');
  if (!pix) { box.textContent = ''; return; }
  const [y, x] = pix;
  const i = y * X + x;
  const parts = [`(z, y, x) = (${zSel}, ${y}, ${x})`];
  for (const im of images) if (im.data) parts.push(`${im.name}: ${+Number(im.data[i]).toPrecision(6)}`);
  for (const l of labels.values()) if (l.data && l.data[i]) parts.push(`${l.title}: ${l.data[i]}`);
  box.textContent = parts.join('  ');
}

function deleteShape(): void {
  if (selectedShape < 0) return;
  shapes.splice(selectedShape, 1);
  selectedShape = -1;
  shapesChanged();
  updateButtons();
}

// ---------------------------------------------------------------- controls

function setTool(t: Tool): void {
  tool = t;
  drawing = null;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tools button')) b.classList.toggle('active', b.dataset.tool === t);
  canvas.style.cursor = t === 'pan' ? 'grab' : 'crosshair';
  requestDraw();
}

function updateButtons(): void {
  const busy = !!st?.busy;
  $<HTMLButtonElement>('run').disabled = busy;
  $<HTMLButtonElement>('reanalyze').disabled = busy || !labels.get('cell')?.data || !labels.get('marker')?.data;
  $<HTMLButtonElement>('export').disabled = busy || !(st?.tables.length);
  $<HTMLButtonElement>('saveRois').disabled = busy;
  $<HTMLButtonElement>('undo').disabled = undoStack.length === 0;
  $<HTMLButtonElement>('redo').disabled = redoStack.length === 0;
  $<HTMLButtonElement>('deleteShape').disabled = selectedShape < 0;
}

function buildRefine(): void {
  const box = $('refine');
  box.replaceChildren();
  // The third channel gets sliders only when the analysis has one (its model config), like its label layer.
  const channels = st.cellpose?.optional_region !== undefined && st.layers.optional_region ? (['cell', 'marker', 'optional_region'] as const) : (['cell', 'marker'] as const);
  for (const ch of channels) {
    const ok = !!st.cellpose?.[ch];
    const cp = el('input', { type: 'range', min: '-6', max: '6', step: '0.05', value: '0', disabled: !ok });
    const fl = el('input', { type: 'range', min: '0', max: '3', step: '0.05', value: '0.4', disabled: !ok });
    cp.id = `refine-${ch}-cellprob`;
    fl.id = `refine-${ch}-flow`;
    const cpv = el('span', { textContent: cp.value });
    const flv = el('span', { textContent: fl.value });
    const apply = () => guard(`refine ${ch}`, async () => {
      cpv.textContent = cp.value;
      flv.textContent = fl.value;
      const res = await api.refine({ [ch]: { cellprobThreshold: Number(cp.value), flowThreshold: Number(fl.value) } });
      // Only the refined channel's layer and the positive-cell layer change; state and tables load meanwhile.
      await Promise.all([loadState().then(loadTables), reloadLabels([ch, 'positive'])]);
      // The refined masks replace hand edits of this channel: its undo history no longer applies.
      undoStack.length = 0;
      redoStack.length = 0;
      updateButtons();
      setStatus(`${ch} masks rebuilt from the Cellpose cache in ${Math.round(res.ms)} ms`);
    });
    cp.onchange = () => void apply();
    fl.onchange = () => void apply();
    cp.oninput = () => { cpv.textContent = cp.value; };
    fl.oninput = () => { flv.textContent = fl.value; };
    box.append(
      el('div', { className: 'refine-ch' },
        el('div', { className: 'name', textContent: ch === 'optional_region' ? 'third channel' : `${ch} channel` }),
        el('div', { className: 'row' }, 'cellprob ', cp, cpv),
        el('div', { className: 'row' }, 'flow ', fl, flv),
        ok ? '' : el('div', { className: 'note', textContent: 'disabled: this channel is not segmented by Cellpose (threshold backend) or has no Cellpose cache yet — run first' })),
    );
  }
}

async function pollRun(doneMessage = 'analysis finished'): Promise<void> {
  const bar = $<HTMLProgressElement>('progress');
  bar.hidden = false;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const s = await api.getState();
    hooks.busy = s.busy;
    const p = s.progress;
    if (p) {
      $('runInfo').textContent = `${p.stage}${p.total ? ` ${p.done ?? 0}/${p.total}` : ''}`;
      if (p.total) { bar.max = p.total; bar.value = p.done ?? 0; } else bar.removeAttribute('value');
    }
    if (!s.busy) {
      bar.hidden = true;
      if (s.error) throw new Error(s.error);
      break;
    }
  }
  undoStack.length = 0;
  redoStack.length = 0;
  await loadState();
  await loadPlanes();
  await loadTables();
  $('runInfo').textContent = doneMessage;
  updateButtons();
}

function wireControls(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tools button')) b.onclick = () => setTool(b.dataset.tool as Tool);
  for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
    b.onclick = () => {
      currentSheet = b.dataset.sheet!;
      sortCol = -1;
      for (const o of document.querySelectorAll<HTMLButtonElement>('.tabs button')) o.classList.toggle('active', o === b);
      renderTable();
    };
  }
  const zr = $<HTMLInputElement>('z');
  const zmax = $<HTMLInputElement>('zmax');
  const onZ = () => guard('loading the plane', async () => {
    zSel = zmax.checked ? 'max' : Number(zr.value);
    await loadPlanes();
  });
  zr.oninput = () => { zmax.checked = false; void onZ(); };
  zmax.onchange = () => void onZ();

  $('newLabel').onclick = () => {
    const l = labels.get(editLayerName());
    if (l?.data) $<HTMLInputElement>('label').value = String(maxLabel(l.data) + 1);
  };
  $('deleteLabel').onclick = () => {
    const t = beginEdit();
    if (!t) return;
    const n = replaceLabel(t.data, curLabel(), 0);
    if (n > 0) { commitEdit(); recomposite(); } else openEdit = null;
  };
  $('merge').onclick = () => {
    const from = Math.floor(Number($<HTMLInputElement>('mergeFrom').value));
    const t = beginEdit();
    if (!t) return;
    const n = replaceLabel(t.data, from, curLabel());
    if (n > 0) { commitEdit(); recomposite(); } else openEdit = null;
  };
  $('undo').onclick = () => void undoRedo(undoStack, redoStack);
  $('redo').onclick = () => void undoRedo(redoStack, undoStack);

  $('saveRois').onclick = () => void guard('saving ROIs', async () => {
    const res = await api.saveRois(shapes);
    shapesDirty = false;
    $('roiInfo').textContent = `saved ${shapes.length} shape(s); ROI ids ${res.roiIds.join(', ') || '(none)'}`;
    await loadState();
    if (!labels.has('rois') && st.layers.rois) await loadState();
    await reloadLabels(['rois']);
  });
  $('deleteShape').onclick = deleteShape;
  $('clearShapes').onclick = () => { shapes.length = 0; selectedShape = -1; shapesChanged(); };

  $('run').onclick = () => void guard('run', async () => {
    await pendingPut;
    await api.startRun();
    st.busy = true;
    hooks.busy = true;
    updateButtons();
    $('runInfo').textContent = 'running…';
    try {
      await pollRun();
    } finally {
      hooks.busy = false;
    }
  });
  $('reanalyze').onclick = () => void guard('re-analyse', async () => {
    const t0 = performance.now();
    await pendingPut;
    const res = await api.reanalyze();
    // Postfilters re-applied by the server may change the edited masks too: reload them with the positive
    // layer. The sheet list cannot change on a re-analysis, so the tables load in parallel with the state.
    await Promise.all([loadState(), reloadLabels(['cell', 'marker', 'positive']), loadTables()]);
    const ms = performance.now() - t0;
    $('runInfo').textContent = `re-analysed in ${Math.round(res.ms)} ms (server), ${Math.round(ms)} ms until the tables were updated`;
    (hooks as unknown as { lastReanalyzeMs: number }).lastReanalyzeMs = ms;
  });
  $('export').onclick = () => void guard('export', async () => {
    await pendingPut;
    const res = await api.exportResults();
    $('runInfo').textContent = `exported ${res.files.length} file(s):\n${res.files.join('\n')}`;
  });
  $('savePng').onclick = () => {
    // The image-resolution composite, identical to `cellcoloc snapshot` with the same layers and z.
    const a = el('a', { href: base.toDataURL('image/png'), download: `${st.stem}_view${zSel === 'max' ? '_max' : `_z${zSel}`}.png` });
    document.body.append(a);
    a.click();
    a.remove();
  };
}

async function main(): Promise<void> {
  hooks.marks.main = performance.now();
  wireControls();
  setTool('pan');
  await loadState();
  if (Z > 1) {
    zSel = 'max';
    $<HTMLInputElement>('zmax').checked = true;
  }
  hooks.marks.state = performance.now();
  const planes = loadPlanes(true); // requests go out first; the layout query below overlaps with them
  fitView();
  await planes;
  hooks.ready = true;
  setStatus(`${st.configPath} — ${X}×${Y}${Z > 1 ? `×${Z}` : ''} px, ${st.image.voxelSizeUm[2]} µm/px`);
  await loadTables();
  if (shapes.length) $('roiInfo').textContent = `${shapes.length} saved ROI shape(s)`;
  if (st.warnings?.length) $('runInfo').textContent = st.warnings.join('\n');
  if (st.busy) await pollRun(st.progress?.stage ? `${st.progress.stage}: done` : 'ready');
  if (st.error) setStatus(st.error, true);
}

void guard('loading the viewer', main);
