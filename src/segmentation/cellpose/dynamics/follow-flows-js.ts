/**
 * The JavaScript float32 emulations of Cellpose's flow integration (see follow-flows.ts for the samplers
 * and the CYCLE note): torch grid_sample bilinear (v4 2-D, the reference for `wasm/follow-v4.wat`),
 * numba map_coordinates (v3 2-D) and torch trilinear (3-D). `Math.fround` after every operation keeps
 * the arithmetic in float32, as torch and numba do.
 */

const f = Math.fround;

/**
 * BLOCK: points are integrated in blocks of this many consecutive (raster-order) points, all steps of a
 * block before the next. Time-major within a block gives instruction-level parallelism across points;
 * blocking keeps the field rows those points visit in cache (a time-major sweep over the whole image
 * misses the cache on every tap: ~2× slower at 1024²).
 */
export const BLOCK = 4096;

/**
 * State of the points during integration, stepped time-major (all active points per step, as Cellpose
 * does): consecutive points are independent, so the CPU overlaps their long float32 dependency chains
 * (a point-major loop is latency-bound, ~2× slower). Per point: position (a, b) = (y, x), Brent
 * tortoise (ta, tb), power/lam, and `stop` = number of steps after which the end point is known.
 */
interface Points {
  A: Float32Array;
  B: Float32Array;
  TA: Float32Array;
  TB: Float32Array;
  /** second tortoise, saved every 8 steps: catches short cycles soon after they start */
  TC: Float32Array;
  TD: Float32Array;
  POW: Int32Array;
  LAM: Int32Array;
  STOP: Int32Array;
  active: Int32Array;
}

function makePoints(n: number, niter: number): Points {
  const active = new Int32Array(n);
  for (let k = 0; k < n; k++) active[k] = k;
  return {
    A: new Float32Array(n),
    B: new Float32Array(n),
    TA: new Float32Array(n),
    TB: new Float32Array(n),
    TC: new Float32Array(n),
    TD: new Float32Array(n),
    POW: new Int32Array(n).fill(1),
    LAM: new Int32Array(n),
    // niter + 1 marks "still hunting for a cycle"; the end is then niter.
    STOP: new Int32Array(n).fill(niter + 1),
    active,
  };
}

/**
 * Brent's cycle check after step t (0-based) of point k at (a, b); returns whether the point stays
 * active for step t + 1. See the CYCLE note.
 */
function cycleCheck(P: Points, k: number, a: number, b: number, t: number, niter: number): boolean {
  let stop = P.STOP[k];
  if (stop > niter) {
    const lam = P.LAM[k] + 1;
    // Steps since the last multiple-of-8 save (valid once the first save happened, t ≥ 8).
    const l8 = (t & 7) + 1;
    if (a === P.TA[k] && b === P.TB[k]) {
      // Periodic from here with period lam: only (remaining steps mod lam) steps change the end point.
      stop = t + 1 + ((niter - 1 - t) % lam);
      P.STOP[k] = stop;
      return t + 1 < stop;
    }
    if (t >= 8 && a === P.TC[k] && b === P.TD[k]) {
      stop = t + 1 + ((niter - 1 - t) % l8);
      P.STOP[k] = stop;
      return t + 1 < stop;
    }
    if (lam === P.POW[k]) {
      P.TA[k] = a;
      P.TB[k] = b;
      P.POW[k] = 2 * lam;
      P.LAM[k] = 0;
    } else {
      P.LAM[k] = lam;
    }
    if (l8 === 8) {
      P.TC[k] = a;
      P.TD[k] = b;
    }
    stop = niter;
  }
  return t + 1 < stop;
}

/** v4: torch grid_sample bilinear, align_corners=False, zero padding, float32 with fused multiply-adds (AVX2 kernel). */
export function followBilinearTorch(dP: Float32Array, inds: Uint32Array, Y: number, X: number, niter: number): Float32Array {
  const n = inds.length;
  const LmY = f(Y - 1);
  const LmX = f(X - 1);
  const sY = f(2 / (Y - 1));
  const sX = f(2 / (X - 1));
  const hY = f(Y / 2);
  const hX = f(X / 2);
  // Field F = f(dP/5) on foreground pixels (0 elsewhere), pre-multiplied by 2/(L−1) (normalised
  // units), float32, interleaved (y, x) per pixel so one tap reads one cache line.
  const plane = Y * X;
  const im = new Float32Array(2 * plane);
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    im[2 * q] = f(f(dP[q] / 5) * sY);
    im[2 * q + 1] = f(f(dP[plane + q] / 5) * sX);
  }
  const Ym1 = Y - 1;
  const Xm1 = X - 1;
  const X2 = 2 * X;
  const P = makePoints(n, niter);
  const { A: GY, B: GX, active } = P;
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    const y0 = (q / X) | 0;
    const x0 = q - y0 * X;
    GY[k] = f(f(f(y0 / LmY) * 2) - 1);
    GX[k] = f(f(f(x0 / LmX) * 2) - 1);
    P.TA[k] = GY[k];
    P.TB[k] = GX[k];
  }
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    let na = end - start;
    for (let t = 0; t < niter && na > 0; t++) {
      let keep = start;
      for (let ai = start; ai < start + na; ai++) {
        const k = active[ai];
        let gy = GY[k];
        let gx = GX[k];
        // grid_sample's source index u = ((g + 1)·L − 1)/2, as f(f(g+1)·(L/2) − 0.5).
        const ux = f(f(f(gx + 1) * hX) - 0.5);
        const uy = f(f(f(gy + 1) * hY) - 0.5);
        const i0 = Math.floor(ux);
        const j0 = Math.floor(uy);
        const w = f(ux - i0);
        const e = f(1 - w);
        const nn = f(uy - j0);
        const s = f(1 - nn);
        const wnw = f(s * e);
        const wne = f(s * w);
        const wsw = f(nn * e);
        const wse = f(nn * w);
        let ry = 0;
        let rx = 0;
        if (i0 >= 0 && i0 < Xm1 && j0 >= 0 && j0 < Ym1) {
          // All four taps inside (the common case).
          const a = 2 * (j0 * X + i0);
          const b = a + X2;
          ry = f(im[a] * wnw);
          rx = f(im[a + 1] * wnw);
          ry = f(im[a + 2] * wne + ry);
          rx = f(im[a + 3] * wne + rx);
          ry = f(im[b] * wsw + ry);
          rx = f(im[b + 1] * wsw + rx);
          ry = f(im[b + 2] * wse + ry);
          rx = f(im[b + 3] * wse + rx);
        } else {
          // Taps outside the image are 0: fma(0, w, r) = r, so they are skipped.
          const inX0 = i0 >= 0 && i0 <= Xm1;
          const inX1 = i0 + 1 >= 0 && i0 + 1 <= Xm1;
          if (j0 >= 0 && j0 <= Ym1) {
            const a = 2 * (j0 * X + i0);
            if (inX0) {
              ry = f(im[a] * wnw);
              rx = f(im[a + 1] * wnw);
            }
            if (inX1) {
              ry = f(im[a + 2] * wne + ry);
              rx = f(im[a + 3] * wne + rx);
            }
          }
          if (j0 + 1 >= 0 && j0 + 1 <= Ym1) {
            const b = 2 * ((j0 + 1) * X + i0);
            if (inX0) {
              ry = f(im[b] * wsw + ry);
              rx = f(im[b + 1] * wsw + rx);
            }
            if (inX1) {
              ry = f(im[b + 2] * wse + ry);
              rx = f(im[b + 3] * wse + rx);
            }
          }
        }
        gy = f(gy + ry);
        gx = f(gx + rx);
        gy = gy < -1 ? -1 : gy > 1 ? 1 : gy;
        gx = gx < -1 ? -1 : gx > 1 ? 1 : gx;
        GY[k] = gy;
        GX[k] = gx;
        if (cycleCheck(P, k, gy, gx, t, niter)) active[keep++] = k;
      }
      na = keep - start;
    }
  }
  const out = new Float32Array(2 * n);
  for (let k = 0; k < n; k++) {
    out[k] = f(f(f(GY[k] + 1) * 0.5) * LmY);
    out[n + k] = f(f(f(GX[k] + 1) * 0.5) * LmX);
  }
  return out;
}

export function followBilinearNumba(dP: Float32Array, inds: Uint32Array, Y: number, X: number, niter: number): Float32Array {
  const n = inds.length;
  // F = f(dP/5) on foreground pixels, 0 elsewhere, interleaved (y, x).
  const plane = Y * X;
  const F = new Float32Array(2 * plane);
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    F[2 * q] = f(dP[q] / 5);
    F[2 * q + 1] = f(dP[plane + q] / 5);
  }
  const Ym1 = Y - 1;
  const Xm1 = X - 1;
  const P = makePoints(n, niter);
  const { A: PY, B: PX, active } = P;
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    const y0 = (q / X) | 0;
    PY[k] = y0;
    PX[k] = q - y0 * X;
    P.TA[k] = PY[k];
    P.TB[k] = PX[k];
  }
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    let na = end - start;
    for (let t = 0; t < niter && na > 0; t++) {
      let keep = start;
      for (let ai = start; ai < start + na; ai++) {
        const k = active[ai];
        let py = PY[k];
        let px = PX[k];
        const yf0 = Math.trunc(py);
        const xf0 = Math.trunc(px);
        const fy = f(py - yf0);
        const fx = f(px - xf0);
        const ya = yf0 > Ym1 ? Ym1 : yf0 < 0 ? 0 : yf0;
        const xa = xf0 > Xm1 ? Xm1 : xf0 < 0 ? 0 : xf0;
        const yb = ya + 1 > Ym1 ? Ym1 : ya + 1;
        const xb = xa + 1 > Xm1 ? Xm1 : xa + 1;
        const oy = 1 - fy;
        const ox = 1 - fx;
        const aa = 2 * (ya * X + xa);
        const ab = 2 * (ya * X + xb);
        const ba = 2 * (yb * X + xa);
        const bb = 2 * (yb * X + xb);
        const vy = f(F[aa] * oy * ox + F[ab] * oy * fx + f(F[ba] * fy) * ox + f(f(F[bb] * fy) * fx));
        const vx = f(F[aa + 1] * oy * ox + F[ab + 1] * oy * fx + f(F[ba + 1] * fy) * ox + f(f(F[bb + 1] * fy) * fx));
        py = f(py + vy);
        px = f(px + vx);
        py = py < 0 ? 0 : py > Ym1 ? Ym1 : py;
        px = px < 0 ? 0 : px > Xm1 ? Xm1 : px;
        PY[k] = py;
        PX[k] = px;
        if (cycleCheck(P, k, py, px, t, niter)) active[keep++] = k;
      }
      na = keep - start;
    }
  }
  const out = new Float32Array(2 * n);
  out.set(PY, 0);
  out.set(PX, n);
  return out;
}

/**
 * 3-D (v4, and v3 in 3-D): torch grid_sample trilinear, align_corners=False, zero padding. torch's
 * scalar 3-D CPU kernel: weights as products of float32 distances, taps accumulated in order
 * tnw, tne, tsw, tse, bnw, bne, bsw, bse (float32, no FMA). Not verified bit-exactly (internals §9).
 */
export function followTrilinearTorch(field: Float32Array[], inds: Uint32Array, Z: number, Y: number, X: number, niter: number): Float32Array {
  const n = inds.length;
  const [Fz, Fy, Fx] = field;
  const Lm = [f(Z - 1), f(Y - 1), f(X - 1)];
  const sc = [f(2 / (Z - 1)), f(2 / (Y - 1)), f(2 / (X - 1))];
  const YX = Y * X;
  const imZ = new Float32Array(Z * YX);
  const imY = new Float32Array(Z * YX);
  const imX = new Float32Array(Z * YX);
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    imZ[q] = f(Fz[q] * sc[0]);
    imY[q] = f(Fy[q] * sc[1]);
    imX[q] = f(Fx[q] * sc[2]);
  }
  const out = new Float32Array(3 * n);
  const src = (g: number, L: number): number => f(f(f(f(g + 1) * L) - 1) / 2);
  for (let k = 0; k < n; k++) {
    const q = inds[k];
    const z0 = (q / YX) | 0;
    const r = q - z0 * YX;
    const y0 = (r / X) | 0;
    const x0 = r - y0 * X;
    let gz = f(f(f(z0 / Lm[0]) * 2) - 1);
    let gy = f(f(f(y0 / Lm[1]) * 2) - 1);
    let gx = f(f(f(x0 / Lm[2]) * 2) - 1);
    let tz = gz;
    let ty = gy;
    let tx = gx;
    let power = 1;
    let lam = 0;
    let hunting = true;
    for (let t = 0; t < niter; t++) {
      const ix = src(gx, X);
      const iy = src(gy, Y);
      const iz = src(gz, Z);
      const xa = Math.floor(ix);
      const ya = Math.floor(iy);
      const za = Math.floor(iz);
      const dx1 = f(xa + 1 - ix); // ix_bse − ix
      const dx0 = f(ix - xa); // ix − ix_tnw
      const dy1 = f(ya + 1 - iy);
      const dy0 = f(iy - ya);
      const dz1 = f(za + 1 - iz);
      const dz0 = f(iz - za);
      let vz = 0;
      let vy = 0;
      let vx = 0;
      for (let tap = 0; tap < 8; tap++) {
        const bz = tap >> 2;
        const by = (tap >> 1) & 1;
        const bx = tap & 1;
        const zz = za + bz;
        const yy = ya + by;
        const xx = xa + bx;
        if (zz < 0 || zz >= Z || yy < 0 || yy >= Y || xx < 0 || xx >= X) continue;
        const w = f(f((bx ? dx0 : dx1) * (by ? dy0 : dy1)) * (bz ? dz0 : dz1));
        const idx = zz * YX + yy * X + xx;
        vz = f(vz + f(imZ[idx] * w));
        vy = f(vy + f(imY[idx] * w));
        vx = f(vx + f(imX[idx] * w));
      }
      gz = f(gz + vz);
      gy = f(gy + vy);
      gx = f(gx + vx);
      gz = gz < -1 ? -1 : gz > 1 ? 1 : gz;
      gy = gy < -1 ? -1 : gy > 1 ? 1 : gy;
      gx = gx < -1 ? -1 : gx > 1 ? 1 : gx;
      if (hunting) {
        lam++;
        if (gz === tz && gy === ty && gx === tx) {
          t = niter - 1 - ((niter - 1 - t) % lam);
          hunting = false;
        } else if (lam === power) {
          tz = gz;
          ty = gy;
          tx = gx;
          power *= 2;
          lam = 0;
        }
      }
    }
    out[k] = f(f(f(gz + 1) * 0.5) * Lm[0]);
    out[n + k] = f(f(f(gy + 1) * 0.5) * Lm[1]);
    out[2 * n + k] = f(f(f(gx + 1) * 0.5) * Lm[2]);
  }
  return out;
}
