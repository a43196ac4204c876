/**
 * Cellpose's `core.run_net` on a stack of 2-D planes (internals §6–7): zero padding, tile grid, batched
 * onnxruntime inference, taper-weighted blending, crop of the padding. Tiles of consecutive planes share
 * batches (Cellpose packs planes the same way; batching does not change results).
 *
 * Planes are read through strides, so the ZX and ZY views of a 3-D stack (§13) need no transposed copies.
 */
import { valueError } from '../../../core/errors.js';
import { loadOrt, type CellposeModel } from './model.js';
import { padAxis, taperMask, tileGrid, type TileGrid } from './tiles.js';

/** A stack of planes inside a flat array: element (p, y, x) is `data[offset + p*sP + y*sY + x*sX]`. */
export interface StridedPlanes {
  data: Float32Array;
  offset: number;
  sP: number;
  sY: number;
  sX: number;
}

export interface RunNetOptions {
  /** tiles per onnxruntime call (Cellpose `batch_size`, default 8) */
  batchSize: number;
  /** Cellpose `tile_overlap` (default 0.1) */
  tileOverlap: number;
  /** test-time augmentation (Cellpose `augment`) */
  augment: boolean;
}

export interface PlaneGeometry {
  nplanes: number;
  Ly: number;
  Lx: number;
}

/** Padding and grid Cellpose uses for planes of `Ly × Lx` with this model. */
export function planeLayout(model: CellposeModel, Ly: number, Lx: number, opts: Pick<RunNetOptions, 'tileOverlap' | 'augment'>) {
  const bsize = model.info.tileSize;
  // v4 (cpsam) pads short axes up to the fixed tile; v3 pads to a multiple of 16 only (get_pad_yx min_size)
  const minSize = model.info.cellposeVersion === 4 ? bsize : null;
  const [ypad1, ypad2] = padAxis(Ly, minSize);
  const [xpad1, xpad2] = padAxis(Lx, minSize);
  const LyP = Ly + ypad1 + ypad2;
  const LxP = Lx + xpad1 + xpad2;
  const grid = tileGrid(LyP, LxP, bsize, opts.tileOverlap, opts.augment);
  return { ypad1, ypad2, xpad1, xpad2, LyP, LxP, grid };
}

/** One forward pass: `input` [n, C, h, w] → flows [n, 3, h, w]. */
export async function forwardTiles(model: CellposeModel, input: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
  const C = model.info.inputChannels;
  const ort = await loadOrt();
  const tensor = new ort.Tensor('float32', input.length === n * C * h * w ? input : input.subarray(0, n * C * h * w), [n, C, h, w]);
  const res = await model.session.run({ input: tensor }, ['flows']);
  const flows = res.flows;
  try {
    const dims = flows.dims;
    if (dims.length !== 4 || dims[0] !== n || dims[1] < 3 || dims[2] !== h || dims[3] !== w) {
      throw valueError(`${model.info.path}: output "flows" has shape [${dims.join(', ')}], expected [${n}, 3, ${h}, ${w}]`);
    }
    const data = flows.data as Float32Array;
    if (dims[1] === 3) return data;
    // extra output channels (never seen in Cellpose nets): keep dY, dX, cellprob
    const out = new Float32Array(n * 3 * h * w);
    for (let b = 0; b < n; b++) out.set(data.subarray(b * dims[1] * h * w, (b * dims[1] + 3) * h * w), b * 3 * h * w);
    return out;
  } finally {
    tensor.dispose?.();
  }
}

/** Called once per plane with its blended output `[3, Ly, Lx]` (cropped; reused buffer — copy what you keep). */
export type PlaneSink = (plane: number, out: Float32Array) => void;

/**
 * Runs the network over every plane of `channels` (one strided stack per network input channel; `null` =
 * an all-zero channel, e.g. the empty second/third channel of a single-channel image).
 */
export async function runNetPlanes(
  model: CellposeModel,
  channels: readonly (StridedPlanes | null)[],
  geom: PlaneGeometry,
  opts: RunNetOptions,
  sink: PlaneSink,
): Promise<void> {
  const C = model.info.inputChannels;
  if (channels.length !== C) throw valueError(`runNetPlanes: ${channels.length} channels for a ${C}-channel network (${model.info.path})`);
  const { nplanes, Ly, Lx } = geom;
  const L = planeLayout(model, Ly, Lx, opts);
  const { ypad1, xpad1, grid } = L;
  const { ly, lx, ystarts, xstarts } = grid;
  const nx = xstarts.length;
  const ntiles = ystarts.length * nx;
  const tilePix = ly * lx;
  const mask = taperMask(ly, lx);
  // blending weights are the same for every plane (float64, like Cellpose's Navg)
  const navg = new Float64Array(grid.Ly * grid.Lx);
  for (let t = 0; t < ntiles; t++) {
    const ys = ystarts[Math.floor(t / nx)];
    const xs = xstarts[t % nx];
    for (let y = 0; y < ly; y++) {
      const row = (ys + y) * grid.Lx + xs;
      for (let x = 0; x < lx; x++) navg[row + x] += mask[y * lx + x];
    }
  }
  const batchSize = Math.max(1, Math.floor(opts.batchSize));
  const batch = new Float32Array(batchSize * C * tilePix);
  const outPlane = new Float32Array(3 * Ly * Lx);
  // open accumulators by plane (at most ceil(batch / ntiles) + 1 planes are in flight)
  const acc = new Map<number, Float32Array>();
  const spare: Float32Array[] = [];
  const total = nplanes * ntiles;

  for (let start = 0; start < total; start += batchSize) {
    const n = Math.min(batchSize, total - start);
    batch.fill(0, 0, n * C * tilePix);
    for (let b = 0; b < n; b++) {
      const g = start + b;
      const plane = Math.floor(g / ntiles);
      const t = g % ntiles;
      fillTile(batch, b, channels, plane, grid, t, Ly, Lx, ypad1, xpad1, opts.augment, C);
    }
    const y = await forwardTiles(model, batch, n, ly, lx);
    for (let b = 0; b < n; b++) {
      const g = start + b;
      const plane = Math.floor(g / ntiles);
      const t = g % ntiles;
      let a = acc.get(plane);
      if (!a) {
        a = spare.pop() ?? new Float32Array(3 * grid.Ly * grid.Lx);
        a.fill(0);
        acc.set(plane, a);
      }
      blendTile(a, y, b, grid, t, mask, opts.augment);
      if (t === ntiles - 1) {
        finishPlane(a, navg, grid, Ly, Lx, ypad1, xpad1, outPlane);
        sink(plane, outPlane);
        acc.delete(plane);
        spare.push(a);
      }
    }
  }
}

/** Augment flips of tile (row j, column i): 1 = flip Y, 2 = flip X, 3 = both (internals §7). */
function flipCode(t: number, nx: number): number {
  const j = Math.floor(t / nx);
  const i = t % nx;
  return (j % 2 === 0 && i % 2 === 1 ? 1 : 0) | (j % 2 === 1 && i % 2 === 0 ? 2 : 0) | (j % 2 === 1 && i % 2 === 1 ? 3 : 0);
}

/** Copies tile t of a plane (padded coordinates) into batch slot b; padding stays 0. */
function fillTile(
  batch: Float32Array,
  b: number,
  channels: readonly (StridedPlanes | null)[],
  plane: number,
  grid: TileGrid,
  t: number,
  Ly: number,
  Lx: number,
  ypad1: number,
  xpad1: number,
  augment: boolean,
  C: number,
): void {
  const { ly, lx, xstarts, ystarts } = grid;
  const nx = xstarts.length;
  const ys = ystarts[Math.floor(t / nx)];
  const xs = xstarts[t % nx];
  const flip = augment ? flipCode(t, nx) : 0;
  const flipY = (flip & 1) !== 0;
  const flipX = (flip & 2) !== 0;
  // tile pixel (r, c) ← padded (ys + r', xs + c') with r' = flipY ? ly-1-r : r → image (ys + r' − ypad1, …)
  for (let c = 0; c < C; c++) {
    const ch = channels[c];
    if (!ch) continue;
    const { data, sY, sX } = ch;
    const pbase = ch.offset + plane * ch.sP;
    const tbase = (b * C + c) * ly * lx;
    for (let r = 0; r < ly; r++) {
      const iy = ys + (flipY ? ly - 1 - r : r) - ypad1;
      if (iy < 0 || iy >= Ly) continue;
      const rowBase = pbase + iy * sY;
      const drow = tbase + r * lx;
      // image columns covered: ix = xs + c' − xpad1 in [0, Lx)
      const c0 = Math.max(0, xpad1 - xs);
      const c1 = Math.min(lx, Lx + xpad1 - xs);
      if (!flipX) {
        let s = rowBase + (xs + c0 - xpad1) * sX;
        if (sX === 1) batch.set(data.subarray(s, s + (c1 - c0)), drow + c0);
        else for (let cc = c0; cc < c1; cc++, s += sX) batch[drow + cc] = data[s];
      } else {
        // tile column cc reads padded column xs + (lx − 1 − cc)
        for (let cp = c0; cp < c1; cp++) batch[drow + (lx - 1 - cp)] = data[rowBase + (xs + cp - xpad1) * sX];
      }
    }
  }
}

/** acc[:, tile] += y_b · M  (float64 product and sum, stored as float32 — NumPy's `yf[...] += y * mask`). */
function blendTile(acc: Float32Array, y: Float32Array, b: number, grid: TileGrid, t: number, mask: Float64Array, augment: boolean): void {
  const { ly, lx, xstarts, ystarts, Lx: W, Ly: H } = grid;
  const nx = xstarts.length;
  const ys = ystarts[Math.floor(t / nx)];
  const xs = xstarts[t % nx];
  const flip = augment ? flipCode(t, nx) : 0;
  const flipY = (flip & 1) !== 0;
  const flipX = (flip & 2) !== 0;
  const tp = ly * lx;
  for (let k = 0; k < 3; k++) {
    const src = (b * 3 + k) * tp;
    const dst = k * H * W;
    // unaugment: undo the flip, and negate dY (k = 0) after a Y flip, dX (k = 1) after an X flip
    const neg = (k === 0 && flipY) || (k === 1 && flipX) ? -1 : 1;
    for (let r = 0; r < ly; r++) {
      const sr = src + (flipY ? ly - 1 - r : r) * lx;
      const drow = dst + (ys + r) * W + xs;
      const mrow = r * lx;
      if (!flipX) for (let c = 0; c < lx; c++) acc[drow + c] += neg * y[sr + c] * mask[mrow + c];
      else for (let c = 0; c < lx; c++) acc[drow + c] += neg * y[sr + lx - 1 - c] * mask[mrow + c];
    }
  }
}

/** out = (acc / Navg) cropped to the image: float32 division of float32 by float64, stored float32. */
function finishPlane(acc: Float32Array, navg: Float64Array, grid: TileGrid, Ly: number, Lx: number, ypad1: number, xpad1: number, out: Float32Array): void {
  const W = grid.Lx;
  const HW = grid.Ly * W;
  for (let k = 0; k < 3; k++) {
    for (let y = 0; y < Ly; y++) {
      const s = (y + ypad1) * W + xpad1;
      const d = (k * Ly + y) * Lx;
      for (let x = 0; x < Lx; x++) out[d + x] = acc[k * HW + s + x] / navg[s + x];
    }
  }
}
