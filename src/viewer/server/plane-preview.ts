/**
 * Plane previews of the viewer server (server.ts): the `?step=` reduction of a channel plane for the first paint
 * (block means), as the plane's dtype or as uint8 display levels of its contrast limits, and the contrast limits
 * themselves (0.5 / 99.5 percentiles, as the app computes them) — each computed once per plane memory.
 */
import { percentileContrast } from '../../render/composite.js';
import type { PlaneBytes, WireDtype } from './wire.js';

/** Largest preview reduction (`?step=`) accepted. */
export const MAX_STEP = 64;

export function parseStep(raw: string | null): number | null {
  if (raw === null) return 1;
  if (!/^\d{1,2}$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 && n <= MAX_STEP ? n : null;
}

type WireArray = Uint8Array | Uint16Array | Uint32Array | Int16Array | Float32Array;

function wireArray(p: PlaneBytes): WireArray {
  const { buffer, byteOffset, byteLength } = p.bytes;
  const ctor = { uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, int16: Int16Array, float32: Float32Array }[p.dtype as WireDtype];
  return new ctor(buffer as ArrayBuffer, byteOffset, byteLength / ctor.BYTES_PER_ELEMENT);
}

/** Contrast limits per plane (0.5 / 99.5 percentiles, as the app computes them), keyed by the plane's memory. */
const contrastCache = new WeakMap<ArrayBufferLike, Map<string, [number, number]>>();

export function planeContrast(p: PlaneBytes): [number, number] {
  const key = `${p.bytes.byteOffset}:${p.bytes.byteLength}:${p.dtype}`;
  let m = contrastCache.get(p.bytes.buffer);
  if (!m) contrastCache.set(p.bytes.buffer, (m = new Map()));
  let c = m.get(key);
  if (!c) m.set(key, (c = percentileContrast(wireArray(p))));
  return c;
}

/** Display-level previews (uint8) per plane memory and step, made once (ahead of the request, see `createHandler`). */
const previewCache = new WeakMap<ArrayBufferLike, Map<string, PlaneBytes>>();

export function preview(p: PlaneBytes, step: number): PlaneBytes {
  const key = `${p.bytes.byteOffset}:${p.bytes.byteLength}:${p.dtype}:${step}`;
  let m = previewCache.get(p.bytes.buffer);
  if (!m) previewCache.set(p.bytes.buffer, (m = new Map()));
  let d = m.get(key);
  if (!d) m.set(key, (d = downsampleMean(p, step, planeContrast(p))));
  return d;
}

export function downsampleMean(p: PlaneBytes, step: number, levels?: [number, number]): PlaneBytes {
  const src = wireArray(p);
  const [Y, X] = p.shapeYx;
  const Yp = Math.ceil(Y / step);
  const Xp = Math.ceil(X / step);
  const out = levels ? new Uint8Array(Yp * Xp) : new (src.constructor as new (n: number) => WireArray)(Yp * Xp);
  const round = !(src instanceof Float32Array);
  // With `levels` = [lo, hi]: uint8 display levels round(255 · (mean − lo) / (hi − lo)), clamped (NaN → 0), the
  // compositor's normalisation of the contrast limits, in the same pass.
  const lo = levels ? levels[0] : 0;
  const k = levels ? 255 / (levels[1] > lo ? levels[1] - lo : 1) : 0;
  const result = (): PlaneBytes => ({
    bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
    dtype: levels ? 'uint8' : p.dtype,
    shapeYx: [Yp, Xp],
  });
  if (step === 2 && Y % 2 === 0 && X % 2 === 0) {
    // The common case, 2×2 blocks of an even-sized plane, without the general path's accumulator.
    for (let by = 0, o = 0; by < Yp; by++) {
      for (let r0 = 2 * by * X, r1 = r0 + X, e = r0 + X; r0 < e; r0 += 2, r1 += 2, o++) {
        const m = (src[r0] + src[r0 + 1] + src[r1] + src[r1 + 1]) * 0.25;
        if (levels) {
          const v = Math.round((m - lo) * k);
          out[o] = v > 255 ? 255 : v > 0 ? v : 0;
        } else out[o] = round ? Math.round(m) : m;
      }
    }
    return result();
  }
  const acc = new Float64Array(Xp);
  // Output column of each input column, and each output column's width (the last one may be narrower).
  const col = new Int32Array(X);
  for (let x = 0; x < X; x++) col[x] = (x / step) | 0;
  const width = new Float64Array(Xp);
  for (let bx = 0; bx < Xp; bx++) width[bx] = Math.min(X, (bx + 1) * step) - bx * step;
  for (let by = 0; by < Yp; by++) {
    acc.fill(0);
    const y0 = by * step;
    const y1 = Math.min(Y, y0 + step);
    for (let row = y0 * X, end = y1 * X; row < end; row += X) {
      for (let x = 0; x < X; x++) acc[col[x]] += src[row + x];
    }
    const o = by * Xp;
    const rows = y1 - y0;
    for (let bx = 0; bx < Xp; bx++) {
      const m = acc[bx] / (rows * width[bx]);
      if (levels) {
        const v = Math.round((m - lo) * k);
        out[o + bx] = v > 255 ? 255 : v > 0 ? v : 0;
      } else out[o + bx] = round ? Math.round(m) : m;
    }
  }
  return result();
}
