/**
 * OpenCV `cv2.resize(img, (Lx_new, Ly_new), interpolation=INTER_LINEAR)` for float32 planes (internals §5),
 * as Cellpose's `transforms.resize_image` uses it on both sides of the network.
 *
 * Per axis (OpenCV `resizeGeneric` set-up): scale = 1 / (L_dst / L_src) in double; f = f32((d + 0.5)·scale − 0.5);
 * i0 = floor(f), w = f − i0 (float32); i0 < 0 → (0, w = 0); i0 ≥ L_src − 1 → (L_src − 1, w = 0). Weights
 * (1 − w, w) in float32. Separable: horizontal pass per row, D = f32(f32(S0·a0) + f32(S1·a1)), then the same
 * along columns with the row weights — float32 arithmetic as OpenCV's `HResizeLinear` / `VResizeLinear` for
 * CV_32F (no fixed point: that is only used for 8-bit images). Half-pixel centres, edge replication, no
 * anti-aliasing. OpenCV switches an exact 2× downscale in both axes to INTER_AREA (mean of the 2×2 block,
 * `resize.cpp`: `is_area_fast && iscale_x == 2 && iscale_y == 2`); reproduced here.
 */

export interface AxisWeights {
  /** first source index per destination index */
  i0: Int32Array;
  /** second source index (i0 + 1, clamped) */
  i1: Int32Array;
  a0: Float32Array;
  a1: Float32Array;
}

export function axisWeights(src: number, dst: number): AxisWeights {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const a0 = new Float32Array(dst);
  const a1 = new Float32Array(dst);
  const scale = 1 / (dst / src);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (s < 0) {
      s = 0;
      f = 0;
    }
    if (s >= src - 1) {
      s = src - 1;
      f = 0;
    }
    i0[d] = s;
    i1[d] = Math.min(s + 1, src - 1);
    a0[d] = Math.fround(1 - f);
    a1[d] = f;
  }
  return { i0, i1, a0, a1 };
}

/**
 * Resizes `nplanes` consecutive `[Ly, Lx]` float32 planes to `[Ly2, Lx2]` (each plane independently, as
 * cv2 treats the channels of one image). Returns a new array (or `src` itself when the size is unchanged).
 */
export function resizePlanes(src: Float32Array, nplanes: number, Ly: number, Lx: number, Ly2: number, Lx2: number): Float32Array {
  if (Ly === Ly2 && Lx === Lx2) return src;
  const out = new Float32Array(nplanes * Ly2 * Lx2);
  if (Ly === 2 * Ly2 && Lx === 2 * Lx2) {
    // INTER_AREA fast path for an exact 2x shrink: (S00 + S01 + S10 + S11) * 0.25f, float32 left to right
    for (let p = 0; p < nplanes; p++) {
      const sb = p * Ly * Lx;
      const db = p * Ly2 * Lx2;
      for (let y = 0; y < Ly2; y++) {
        const r0 = sb + 2 * y * Lx;
        const r1 = r0 + Lx;
        const d = db + y * Lx2;
        for (let x = 0; x < Lx2; x++) {
          const s = Math.fround(Math.fround(Math.fround(src[r0 + 2 * x] + src[r0 + 2 * x + 1]) + src[r1 + 2 * x]) + src[r1 + 2 * x + 1]);
          out[d + x] = s * 0.25;
        }
      }
    }
    return out;
  }
  const wx = axisWeights(Lx, Lx2);
  const wy = axisWeights(Ly, Ly2);
  // horizontal pass of one source row into a scratch row; rows are cached by source index like OpenCV's ring buffer
  const rowA = new Float32Array(Lx2);
  const rowB = new Float32Array(Lx2);
  const hpass = (base: number, dst: Float32Array): void => {
    const { i0, i1, a0, a1 } = wx;
    for (let x = 0; x < Lx2; x++) dst[x] = Math.fround(src[base + i0[x]] * a0[x]) + Math.fround(src[base + i1[x]] * a1[x]);
  };
  for (let p = 0; p < nplanes; p++) {
    const sb = p * Ly * Lx;
    const db = p * Ly2 * Lx2;
    let haveA = -1;
    let haveB = -1;
    for (let y = 0; y < Ly2; y++) {
      const s0 = wy.i0[y];
      const s1 = wy.i1[y];
      let r0: Float32Array;
      let r1: Float32Array;
      if (haveA === s0) r0 = rowA;
      else if (haveB === s0) r0 = rowB;
      else {
        // reuse the buffer that does not hold s1
        if (haveB === s1) {
          hpass(sb + s0 * Lx, rowA);
          haveA = s0;
          r0 = rowA;
        } else {
          hpass(sb + s0 * Lx, rowB);
          haveB = s0;
          r0 = rowB;
        }
      }
      if (haveA === s1) r1 = rowA;
      else if (haveB === s1) r1 = rowB;
      else if (r0 === rowA) {
        hpass(sb + s1 * Lx, rowB);
        haveB = s1;
        r1 = rowB;
      } else {
        hpass(sb + s1 * Lx, rowA);
        haveA = s1;
        r1 = rowA;
      }
      const b0 = wy.a0[y];
      const b1 = wy.a1[y];
      const d = db + y * Lx2;
      for (let x = 0; x < Lx2; x++) out[d + x] = Math.fround(r0[x] * b0) + Math.fround(r1[x] * b1);
    }
  }
  return out;
}

/**
 * Resizes the first axis of a `[Z, Y, X]` volume to Z2 (Cellpose resizes each `[Z, X]` slice with cv2 to
 * `(Z2, X)`; with X unchanged the horizontal pass is the identity, so this is the vertical pass alone).
 */
export function resizeFirstAxis(src: Float32Array, Z: number, Y: number, X: number, Z2: number): Float32Array {
  if (Z === Z2) return src;
  const plane = Y * X;
  const out = new Float32Array(Z2 * plane);
  const w = axisWeights(Z, Z2);
  for (let z = 0; z < Z2; z++) {
    const s0 = w.i0[z] * plane;
    const s1 = w.i1[z] * plane;
    const b0 = w.a0[z];
    const b1 = w.a1[z];
    const d = z * plane;
    for (let i = 0; i < plane; i++) out[d + i] = Math.fround(src[s0 + i] * b0) + Math.fround(src[s1 + i] * b1);
  }
  return out;
}
