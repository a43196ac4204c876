/**
 * The network stage of Cellpose `eval(compute_masks=False)` for one crop (internals §2–8, §13):
 * channel layout → percentile normalisation → resize to the model's cell diameter → tiled network run
 * (2-D planes, or the three views YX/ZX/ZY for do_3D) → flow smoothing (3-D) → resize back.
 */
import { valueError } from '../../../core/errors.js';
import { gaussianFilter } from '../../kernels/gaussian.js';
import type { CellposeNetOutput } from '../types.js';
import type { CellposeModel } from './model.js';
import { normalizeChannelInPlace, type NormalizeOptions } from './normalize.js';
import { resizeFirstAxis, resizePlanes } from './resize.js';
import { runNetPlanes, type RunNetOptions, type StridedPlanes } from './run-net.js';

export interface NetworkParams {
  do3d: boolean;
  /** cell diameter in pixels; null/0 = no rescale (the model's diam_mean is assumed) */
  diameter: number | null;
  /** Z sampling relative to XY (3-D only); null = 1 */
  anisotropy: number | null;
  /** σ (voxels) of the Gaussian smoothing of 3-D flows; 0 = off */
  flow3dSmooth: number;
  /** test-time augmentation (Cellpose `augment`, default false) */
  augment?: boolean;
  /** Cellpose `tile_overlap` (default 0.1) */
  tileOverlap?: number;
  /** tiles per onnxruntime call (Cellpose `batch_size`, default 8) */
  batchSize?: number;
  /** normalisation options (Cellpose `normalize` dict; default percentiles 1/99 over the whole crop) */
  normalize?: NormalizeOptions | false;
}

/**
 * Image scale factor (internals §2): diam_mean / diameter if a diameter is given; else, for Cellpose 3 models
 * that declare `diam_labels` (custom-trained ones), diam_mean / diam_labels as Cellpose 3's `eval(diameter=None)`;
 * else 1 (Cellpose 4 never rescales without a diameter).
 */
export function rescaleFactor(model: Pick<CellposeModel, 'info'>, diameter: number | null): number {
  if (diameter !== null && diameter > 0) return model.info.diamMean / diameter;
  const labels = model.info.diamLabels;
  if (model.info.cellposeVersion === 3 && labels != null && labels > 0) return model.info.diamMean / labels;
  return 1;
}

function netOptions(params: NetworkParams): RunNetOptions {
  const batchSize = params.batchSize ?? 8;
  const tileOverlap = params.tileOverlap ?? 0.1;
  if (!(batchSize >= 1)) throw valueError(`Cellpose batch_size = ${batchSize}, expected ≥ 1`);
  if (!(tileOverlap >= 0)) throw valueError(`Cellpose tile_overlap = ${tileOverlap}, expected ≥ 0`);
  return { batchSize, tileOverlap, augment: params.augment ?? false };
}

/**
 * 2-D `run_net` of one image: planes of `[C][Ly][Lx]` (already normalised), resized by `s` (cv2 bilinear,
 * `int(L·s)`), tiled and run. Returns the network output in the RESIZED geometry, channels first
 * `[3, Lyr, Lxr]` (dY, dX, cellprob) — what `e2_run_net_output_rescaled.npy` holds (channels last there).
 */
export async function runNet2D(
  model: CellposeModel,
  channels: readonly (Float32Array | null)[],
  Ly: number,
  Lx: number,
  s: number,
  params: NetworkParams,
): Promise<{ out: Float32Array; Lyr: number; Lxr: number }> {
  const Lyr = Math.trunc(Ly * s);
  const Lxr = Math.trunc(Lx * s);
  if (Lyr < 1 || Lxr < 1) throw valueError(`Cellpose: crop ${Ly}×${Lx} resized by ${s} is empty (diameter too large)`);
  const chans: (StridedPlanes | null)[] = channels.map((c) =>
    c ? { data: s !== 1 ? resizePlanes(c, 1, Ly, Lx, Lyr, Lxr) : c, offset: 0, sP: Lyr * Lxr, sY: Lxr, sX: 1 } : null,
  );
  const out = new Float32Array(3 * Lyr * Lxr);
  await runNetPlanes(model, chans, { nplanes: 1, Ly: Lyr, Lx: Lxr }, netOptions(params), (_p, o) => out.set(o));
  return { out, Lyr, Lxr };
}

/**
 * `core.run_3D`: the network on the YX planes, the ZX planes and the ZY planes of a normalised `[Z, Y, X]`
 * stack (per channel), summed as Cellpose does (not averaged): dZ = ZX.out0 + ZY.out0, dY = YX.out0 + ZY.out1,
 * dX = YX.out1 + ZX.out1, cellprob = sum of the three. Returns `[4][Z·Y·X]` = dZ, dY, dX, cellprob (float32
 * sums in Cellpose's order: YX, ZX, ZY).
 */
export async function run3DViews(
  model: CellposeModel,
  channels: readonly (Float32Array | null)[],
  Z: number,
  Y: number,
  X: number,
  params: NetworkParams,
): Promise<Float32Array[]> {
  const n = Z * Y * X;
  const dZ = new Float32Array(n);
  const dY = new Float32Array(n);
  const dX = new Float32Array(n);
  const cp = new Float32Array(n);
  const opts = netOptions(params);
  const planeYX = Y * X;
  // view p: planes along axis P, net rows along axis R, net columns along axis Cc (strides in the ZYX volume)
  const views: { np: number; ly: number; lx: number; sP: number; sY: number; sX: number; d0: Float32Array; d1: Float32Array }[] = [
    { np: Z, ly: Y, lx: X, sP: planeYX, sY: X, sX: 1, d0: dY, d1: dX }, // YX planes
    { np: Y, ly: Z, lx: X, sP: X, sY: planeYX, sX: 1, d0: dZ, d1: dX }, // ZX planes (net "Y" = Z)
    { np: X, ly: Z, lx: Y, sP: 1, sY: planeYX, sX: X, d0: dZ, d1: dY }, // ZY planes
  ];
  for (const v of views) {
    const chans = channels.map((c) => (c ? { data: c, offset: 0, sP: v.sP, sY: v.sY, sX: v.sX } : null));
    await runNetPlanes(model, chans, { nplanes: v.np, Ly: v.ly, Lx: v.lx }, opts, (p, o) => {
      const pl = v.ly * v.lx;
      for (let r = 0; r < v.ly; r++) {
        for (let c = 0; c < v.lx; c++) {
          const i = p * v.sP + r * v.sY + c * v.sX;
          const k = r * v.lx + c;
          v.d0[i] += o[k];
          v.d1[i] += o[pl + k];
          cp[i] += o[2 * pl + k];
        }
      }
    });
  }
  return [dZ, dY, dX, cp];
}

/**
 * Network outputs for a multi-channel image `channels[c]` = `[Z, Y, X]` raw values (any number of channels;
 * missing network channels are zero, extra ones are dropped — Cellpose's layout rule, internals §3).
 * Each channel is normalised over the whole crop (copy; inputs untouched) unless `params.normalize === false`.
 */
export async function runNetworkOnChannels(
  model: CellposeModel,
  channels: readonly Float32Array[],
  shape: [number, number, number],
  params: NetworkParams,
): Promise<CellposeNetOutput> {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  for (const c of channels) if (c.length !== n) throw valueError(`Cellpose input channel has ${c.length} values, expected ${Z}×${Y}×${X} = ${n}`);
  if (!params.do3d && Z !== 1) throw valueError(`Cellpose 2-D run needs a single plane, got Z = ${Z} (set do_3d for a 3-D crop)`);
  const C = model.info.inputChannels;
  const norm: (Float32Array | null)[] = [];
  for (let c = 0; c < C; c++) {
    const src = channels[c];
    if (!src) {
      norm.push(null);
      continue;
    }
    if (params.normalize === false) {
      norm.push(src);
      continue;
    }
    const copy = Float32Array.from(src);
    const done = normalizeChannelInPlace(copy, shape, params.normalize ?? {});
    if (!done && model.info.cellposeVersion === 4) copy.fill(0); // v4 zeroes channels it could not normalise; v3 keeps raw values
    norm.push(copy);
  }
  const s = rescaleFactor(model, params.diameter);

  if (!params.do3d) {
    const { out, Lyr, Lxr } = await runNet2D(model, norm, Y, X, s, params);
    // resample=True: back to the crop size (cv2 bilinear on the 3-channel output)
    const back = s !== 1 ? resizePlanes(out, 3, Lyr, Lxr, Y, X) : out;
    const plane = Y * X;
    return { shape: [1, Y, X], do3d: false, dP: back.slice(0, 2 * plane), cellprob: back.slice(2 * plane, 3 * plane) };
  }

  // 3-D: XY by s, Z by anisotropy·s (internals §13); then the three views at that size
  const a = params.anisotropy ?? 1;
  if (!(a > 0)) throw valueError(`Cellpose anisotropy = ${params.anisotropy}, expected > 0`);
  const Yr = Math.trunc(Y * s);
  const Xr = Math.trunc(X * s);
  const Zr = a !== 1 || s !== 1 ? Math.trunc(Z * a * s) : Z;
  if (Yr < 1 || Xr < 1 || Zr < 1) throw valueError(`Cellpose: crop ${Z}×${Y}×${X} rescaled (scale ${s}, anisotropy ${a}) is empty`);
  const scaled = norm.map((c) => (c ? resizeFirstAxis(resizePlanes(c, Z, Y, X, Yr, Xr), Z, Yr, Xr, Zr) : null));
  const [dZ, dY, dX, cp] = await run3DViews(model, scaled, Zr, Yr, Xr, params);
  const sigma = params.flow3dSmooth;
  // resample: XY first, then Z (Cellpose `_resize_gradients` / `_resize_cellprob`); then flow3D_smooth:
  // scipy gaussian_filter(dP, (0, σ, σ, σ)) on the flows only, in the crop's own geometry. (Cellpose 4.0.x smoothed
  // before resizing back; the pinned v4 HEAD and v3 smooth after it — checked on upstream
  // 3d_two_channel_cellpose_fullroi, anisotropy 4 / σ 1: 91 raw masks as the original, 64 the other way round.)
  const back = (v: Float32Array) => resizeFirstAxis(resizePlanes(v, Zr, Yr, Xr, Y, X), Zr, Y, X, Z);
  const dP = new Float32Array(3 * n);
  [dZ, dY, dX].forEach((d, k) => {
    const b = back(d);
    dP.set(sigma > 0 ? gaussianFilter(b, [Z, Y, X], [sigma, sigma, sigma]) : b, k * n);
  });
  return { shape: [Z, Y, X], do3d: true, dP, cellprob: back(cp) };
}

/**
 * CellColoc's Cellpose network call for one ROI crop (spec 5.2): a single-channel crop (`channel_axis` None),
 * which Cellpose lays out as [image, 0] for CPnet (v3, `channels` None) and [image, 0, 0] for Cellpose-SAM (v4),
 * normalised over the whole crop (1st/99th percentiles, zeroed outside-ROI pixels included, spec Q-normalisation).
 */
export async function runCellposeNetwork(
  model: CellposeModel,
  crop: { data: Float32Array; shape: [number, number, number] },
  params: NetworkParams,
): Promise<CellposeNetOutput> {
  return runNetworkOnChannels(model, [crop.data], crop.shape, params);
}
