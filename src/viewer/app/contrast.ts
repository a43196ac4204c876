/**
 * Contrast control of one image layer (issue 16.3), as in napari's and Fiji's: a histogram of the visible
 * plane with two draggable limits, the limits as number boxes (shown with a precision that fits the data),
 * "auto" (0.5 / 99.5 percentiles of the plane, napari's and the server's default), "reset" (the plane's full
 * range, Fiji's Reset) and a gamma slider.
 */
import { percentileContrast } from '../../render/composite.js';
import type { ImageState, PixelArray } from './state.js';
import { el } from './dom.js';

const BINS = 128;

export interface Histogram {
  min: number;
  max: number;
  counts: Uint32Array;
}

/** Histogram of `data` over [min, max] in `bins` bins (NaN skipped); every pixel for typed integer planes. */
export function histogram(data: PixelArray, bins = BINS): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max >= min)) return { min: 0, max: 1, counts: new Uint32Array(bins) };
  if (max === min) max = min + 1;
  const counts = new Uint32Array(bins);
  const k = bins / (max - min);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) continue;
    counts[Math.min(bins - 1, Math.floor((v - min) * k))]++;
  }
  return { min, max, counts };
}

/** One histogram per plane array (the panel is rebuilt after every state load; the plane seldom changes). */
const histCache = new WeakMap<PixelArray, Histogram>();
function cachedHistogram(d: PixelArray): Histogram {
  let h = histCache.get(d);
  if (!h) {
    h = histogram(d);
    histCache.set(d, h);
  }
  return h;
}

const isIntegerData = (d: PixelArray | null): boolean => !!d && !(d instanceof Float32Array || d instanceof Float64Array);

/** A limit for display: whole numbers for integer images, else 4 significant digits. */
export function formatLimit(v: number, integer: boolean): string {
  if (!Number.isFinite(v)) return '';
  if (integer) return String(Math.round(v));
  return String(+v.toPrecision(4));
}

/**
 * Builds the widget for `im`; `changed(live)` is called after every change (live = while dragging: the caller
 * coalesces recomposites to one per frame).
 */
export function contrastWidget(im: ImageState, changed: (live: boolean) => void): HTMLElement {
  const integer = isIntegerData(im.data);
  const hist = im.data ? cachedHistogram(im.data) : null;
  const cv = el('canvas', { width: 240, height: 56, className: 'hist', title: 'drag the limits (left: black point, right: white point)' });
  cv.dataset.role = im.role;
  const lo = el('input', { type: 'number', title: 'contrast low (black point)' });
  const hi = el('input', { type: 'number', title: 'contrast high (white point)' });
  lo.dataset.limit = 'lo';
  hi.dataset.limit = 'hi';
  const gamma = el('input', { type: 'range', min: '0.2', max: '3', step: '0.05', value: String(im.gamma), title: 'gamma' });
  const gv = el('span', { textContent: im.gamma.toFixed(2) });

  const toX = (v: number) => (hist ? ((v - hist.min) / (hist.max - hist.min)) * cv.width : 0);
  const fromX = (x: number) => (hist ? hist.min + (x / cv.width) * (hist.max - hist.min) : 0);
  const sync = () => {
    const [a, b] = im.contrast ?? [0, 1];
    lo.value = formatLimit(a, integer);
    hi.value = formatLimit(b, integer);
    draw();
  };
  const draw = () => {
    const g = cv.getContext('2d');
    if (!g) return;
    g.fillStyle = '#15161a';
    g.fillRect(0, 0, cv.width, cv.height);
    if (!hist) return;
    // Log counts: microscopy histograms are dominated by the background peak.
    let top = 0;
    for (const c of hist.counts) top = Math.max(top, Math.log1p(c));
    const bw = cv.width / hist.counts.length;
    g.fillStyle = '#8a8f98';
    hist.counts.forEach((c, i) => {
      const h = top > 0 ? (Math.log1p(c) / top) * (cv.height - 4) : 0;
      g.fillRect(i * bw, cv.height - h, Math.max(1, bw - 0.5), h);
    });
    const [a, b] = im.contrast ?? [hist.min, hist.max];
    const xa = toX(a);
    const xb = toX(b);
    // The display ramp between the limits (with gamma), as a thin curve.
    g.strokeStyle = '#4c6ef5';
    g.lineWidth = 1;
    g.beginPath();
    for (let i = 0; i <= 32; i++) {
      const x = xa + ((xb - xa) * i) / 32;
      const y = cv.height - 2 - (cv.height - 6) * (i / 32) ** im.gamma;
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    }
    g.stroke();
    g.lineWidth = 2;
    g.strokeStyle = '#ffffff';
    for (const x of [xa, xb]) {
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, cv.height);
      g.stroke();
    }
  };
  const set = (a: number, b: number, live: boolean) => {
    if (!(Number.isFinite(a) && Number.isFinite(b) && b > a)) return;
    im.contrast = [a, b];
    sync();
    changed(live);
  };

  let drag: 'lo' | 'hi' | null = null;
  cv.onpointerdown = (ev) => {
    if (!hist || !im.contrast) return;
    const x = ev.offsetX;
    drag = Math.abs(x - toX(im.contrast[0])) <= Math.abs(x - toX(im.contrast[1])) ? 'lo' : 'hi';
    cv.setPointerCapture(ev.pointerId);
    cv.onpointermove?.(ev);
  };
  cv.onpointermove = (ev) => {
    if (!drag || !im.contrast) return;
    const v = fromX(Math.min(cv.width, Math.max(0, ev.offsetX)));
    const step = integer ? 1 : (hist!.max - hist!.min) / 1e4;
    const r = integer ? Math.round(v) : v;
    if (drag === 'lo') set(Math.min(r, im.contrast[1] - step), im.contrast[1], true);
    else set(im.contrast[0], Math.max(r, im.contrast[0] + step), true);
  };
  cv.onpointerup = () => {
    if (drag) changed(false);
    drag = null;
  };
  lo.onchange = hi.onchange = () => set(Number(lo.value), Number(hi.value), false);
  gamma.oninput = () => {
    im.gamma = Number(gamma.value);
    gv.textContent = im.gamma.toFixed(2);
    draw();
    changed(true);
  };
  const auto = el('button', { textContent: 'auto', title: 'limits from the 0.5 and 99.5 percentiles of this plane' });
  auto.dataset.action = 'auto';
  auto.onclick = () => {
    if (!im.data) return;
    const [a, b] = percentileContrast(im.data);
    set(a, b, false);
  };
  const reset = el('button', { textContent: 'reset', title: "limits = this plane's full range (min, max); gamma 1" });
  reset.dataset.action = 'reset';
  reset.onclick = () => {
    if (!hist) return;
    im.gamma = 1;
    gamma.value = '1';
    gv.textContent = '1.00';
    set(hist.min, integer ? Math.round(hist.max) : hist.max, false);
  };
  sync();
  return el('div', { className: 'contrast' },
    cv,
    el('div', { className: 'row' }, 'limits ', lo, hi, auto, reset),
    el('div', { className: 'row' }, 'gamma ', gamma, gv));
}
