/**
 * Unrolled inner loops of `smoothPlane` (masked-smooth.ts) for the kernel sizes declumping uses most (3, 5, 7 and
 * 9 taps: half-widths 1–4), on the voxels whose taps all lie inside the plane. Each sum is formed exactly as in
 * the generic loop — `acc = 0`, then the taps added lowest first, then one division — so the results are the
 * same to the last bit; only the loop overhead (a counter, a bounds test and a kernel load per tap) goes away,
 * which was most of the smoothing's time on declumping's small boxes. Other sizes take the generic loop.
 *
 * Both passes go through one row buffer, `SMOOTH_ROWS` (planes of at most `SMOOTH_ROWS_VOXELS` voxels): a fixed
 * module constant rather than a grown buffer, because TurboFan then embeds its address and length in these
 * loops (about a tenth faster on declumping's boxes, measured, Node 20). 512 KiB, committed by the OS only where
 * touched; `smoothPlane` uses its own buffer, and the generic loops, for larger planes.
 */
export const SMOOTH_ROWS_VOXELS = 1 << 16;
// Not exported itself: TurboFan folds a module's own constants, not exported (live) bindings (measured).
const SMOOTH_ROWS = new Float64Array(SMOOTH_ROWS_VOXELS);
/** The row buffer of the unrolled passes (see above), for `smoothPlane`'s other loops. */
export function smoothRows(): Float64Array {
  return SMOOTH_ROWS;
}

/**
 * The y pass of one row `q` with every tap inside the plane (q − h ≥ 0, q + h < Y), for x in [xa, xe):
 * SMOOTH_ROWS[dst + x] = (Σ_t values[(q − h + t)·X + x] · k[t]) / d. Returns false (nothing done) for other sizes.
 */
export function yPassRow(values: Float32Array, k: Float64Array, q: number, X: number, xa: number, xe: number, dst: number, d: number): boolean {
  const a = SMOOTH_ROWS;
  const h = (k.length - 1) >> 1;
  const r0 = (q - h) * X;
  if (h === 3) {
    const [k0, k1, k2, k3, k4, k5, k6] = k;
    const r1 = r0 + X, r2 = r1 + X, r3 = r2 + X, r4 = r3 + X, r5 = r4 + X, r6 = r5 + X;
    for (let x = xa; x < xe; x++) {
      let acc = 0;
      acc += values[r0 + x] * k0;
      acc += values[r1 + x] * k1;
      acc += values[r2 + x] * k2;
      acc += values[r3 + x] * k3;
      acc += values[r4 + x] * k4;
      acc += values[r5 + x] * k5;
      acc += values[r6 + x] * k6;
      a[dst + x] = acc / d;
    }
    return true;
  }
  if (h === 2) {
    const [k0, k1, k2, k3, k4] = k;
    const r1 = r0 + X, r2 = r1 + X, r3 = r2 + X, r4 = r3 + X;
    for (let x = xa; x < xe; x++) {
      let acc = 0;
      acc += values[r0 + x] * k0;
      acc += values[r1 + x] * k1;
      acc += values[r2 + x] * k2;
      acc += values[r3 + x] * k3;
      acc += values[r4 + x] * k4;
      a[dst + x] = acc / d;
    }
    return true;
  }
  if (h === 1) {
    const [k0, k1, k2] = k;
    const r1 = r0 + X, r2 = r1 + X;
    for (let x = xa; x < xe; x++) {
      let acc = 0;
      acc += values[r0 + x] * k0;
      acc += values[r1 + x] * k1;
      acc += values[r2 + x] * k2;
      a[dst + x] = acc / d;
    }
    return true;
  }
  if (h === 4) {
    const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = k;
    const r1 = r0 + X, r2 = r1 + X, r3 = r2 + X, r4 = r3 + X, r5 = r4 + X, r6 = r5 + X, r7 = r6 + X, r8 = r7 + X;
    for (let x = xa; x < xe; x++) {
      let acc = 0;
      acc += values[r0 + x] * k0;
      acc += values[r1 + x] * k1;
      acc += values[r2 + x] * k2;
      acc += values[r3 + x] * k3;
      acc += values[r4 + x] * k4;
      acc += values[r5 + x] * k5;
      acc += values[r6 + x] * k6;
      acc += values[r7 + x] * k7;
      acc += values[r8 + x] * k8;
      a[dst + x] = acc / d;
    }
    return true;
  }
  return false;
}

/**
 * The x pass (unmasked) of row `row` for q in [qa, qe), every tap inside the row (q − h ≥ 0, q + h < X):
 * out[row + q] = (Σ_t SMOOTH_ROWS[row + q − h + t] · k[t]) / d, 0 where `needed` is given and 0. Returns false
 * (nothing done) for other sizes.
 */
export function xPassRow(k: Float64Array, row: number, qa: number, qe: number, needed: Uint8Array | null, out: Float32Array, d: number): boolean {
  const a = SMOOTH_ROWS;
  const h = (k.length - 1) >> 1;
  if (h === 3) {
    const [k0, k1, k2, k3, k4, k5, k6] = k;
    for (let i = row + qa, j = i - 3, e = row + qe; i < e; i++, j++) {
      if (needed !== null && needed[i] === 0) {
        out[i] = 0;
        continue;
      }
      let acc = 0;
      acc += a[j] * k0;
      acc += a[j + 1] * k1;
      acc += a[j + 2] * k2;
      acc += a[j + 3] * k3;
      acc += a[j + 4] * k4;
      acc += a[j + 5] * k5;
      acc += a[j + 6] * k6;
      out[i] = acc / d;
    }
    return true;
  }
  if (h === 2) {
    const [k0, k1, k2, k3, k4] = k;
    for (let i = row + qa, j = i - 2, e = row + qe; i < e; i++, j++) {
      if (needed !== null && needed[i] === 0) {
        out[i] = 0;
        continue;
      }
      let acc = 0;
      acc += a[j] * k0;
      acc += a[j + 1] * k1;
      acc += a[j + 2] * k2;
      acc += a[j + 3] * k3;
      acc += a[j + 4] * k4;
      out[i] = acc / d;
    }
    return true;
  }
  if (h === 1) {
    const [k0, k1, k2] = k;
    for (let i = row + qa, j = i - 1, e = row + qe; i < e; i++, j++) {
      if (needed !== null && needed[i] === 0) {
        out[i] = 0;
        continue;
      }
      let acc = 0;
      acc += a[j] * k0;
      acc += a[j + 1] * k1;
      acc += a[j + 2] * k2;
      out[i] = acc / d;
    }
    return true;
  }
  if (h === 4) {
    const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = k;
    for (let i = row + qa, j = i - 4, e = row + qe; i < e; i++, j++) {
      if (needed !== null && needed[i] === 0) {
        out[i] = 0;
        continue;
      }
      let acc = 0;
      acc += a[j] * k0;
      acc += a[j + 1] * k1;
      acc += a[j + 2] * k2;
      acc += a[j + 3] * k3;
      acc += a[j + 4] * k4;
      acc += a[j + 5] * k5;
      acc += a[j + 6] * k6;
      acc += a[j + 7] * k7;
      acc += a[j + 8] * k8;
      out[i] = acc / d;
    }
    return true;
  }
  return false;
}
