/**
 * scikit-image 0.19 `filters.threshold_li(values)` (Li & Tam minimum cross-entropy, iterative) on float32
 * values (the 0.19 float branch), with NumPy's float32 arithmetic reproduced: every scalar operation is rounded with `Math.fround`,
 * and `np.mean` of a float32 array is a float32 *pairwise* sum divided once (see `numeric.ts`).
 *
 *   vmin = min(v); s = v - vmin (float32); tol = min(diff(unique(s))) / 2
 *   t = mean(s); t_prev = -2 tol
 *   while |t - t_prev| > tol:
 *     t_prev = t; mf = mean(s[s > t_prev]); mb = mean(s[s <= t_prev])
 *     t = (mb - mf) / (log(mb) - log(mf))
 *   return t + vmin
 */
import { valueError } from '../../core/errors.js';
import { meanFloat32 } from '../numeric.js';

export function thresholdLi(values: Float32Array): number {
  const f = Math.fround;
  // NaNs are dropped first (skimage); our callers pass finite values only, but keep the rule.
  let n = 0;
  const s = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) s[n++] = values[i];
  if (n === 0) return NaN;
  const first = s[0];
  let allEqual = true;
  for (let i = 1; i < n; i++) if (s[i] !== first) { allEqual = false; break; }
  if (allEqual) return first;
  // Keep finite values only (inf of both signs at this point → 0, as skimage).
  let m = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(s[i])) s[m++] = s[i];
  if (m === 0) return 0;
  n = m;
  let vmin = Infinity;
  for (let i = 0; i < n; i++) if (s[i] < vmin) vmin = s[i];
  for (let i = 0; i < n; i++) s[i] = s[i] - vmin; // float32 store rounds
  // tolerance = min(diff(unique(s))) / 2 on the shifted float32 values.
  const sorted = sortNonNegativeFloat32(s, n);
  let minDiff = Infinity;
  for (let i = 1; i < n; i++) {
    const d = f(sorted[i] - sorted[i - 1]);
    if (d > 0 && d < minDiff) minDiff = d;
  }
  if (!Number.isFinite(minDiff)) throw valueError('threshold_li: values have no spread');
  const tol = f(minDiff / 2);
  let tNext = meanFloat32(s, 0, n);
  let tCurr = f(-2 * tol);
  const fg = new Float32Array(n);
  const bg = new Float32Array(n);
  while (Math.abs(f(tNext - tCurr)) > tol) {
    tCurr = tNext;
    let nf = 0;
    let nb = 0;
    for (let i = 0; i < n; i++) {
      const v = s[i];
      if (v > tCurr) fg[nf++] = v;
      else bg[nb++] = v; // `~foreground`, original order kept (order matters for the pairwise sum)
    }
    const meanFore = nf > 0 ? meanFloat32(fg, 0, nf) : NaN;
    const meanBack = nb > 0 ? meanFloat32(bg, 0, nb) : NaN;
    // No `mean_back == 0` guard in 0.19: log(0) = -inf makes t = +0 (and NaN ends the loop: NaN > tol is false).
    tNext = f(f(meanBack - meanFore) / f(f(Math.log(meanBack)) - f(Math.log(meanFore))));
  }
  return f(tNext + vmin);
}

/**
 * `s[0..n)` sorted ascending, for values >= +0 (no NaN, no -0): such float32 values order exactly as their bit
 * patterns read as uint32, so a two-pass 16-bit LSD radix sort gives the same array as a comparison sort in O(n)
 * (the sort of a 3-D stack's 10 M values dominated the threshold).
 */
function sortNonNegativeFloat32(s: Float32Array, n: number): Float32Array {
  const a = new Uint32Array(s.buffer.slice(s.byteOffset, s.byteOffset + 4 * n));
  const b = new Uint32Array(n);
  const count = new Int32Array(65536);
  for (let i = 0; i < n; i++) count[a[i] & 0xffff]++;
  for (let k = 0, sum = 0; k < 65536; k++) {
    const c = count[k];
    count[k] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) b[count[a[i] & 0xffff]++] = a[i];
  count.fill(0);
  for (let i = 0; i < n; i++) count[b[i] >>> 16]++;
  for (let k = 0, sum = 0; k < 65536; k++) {
    const c = count[k];
    count[k] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) a[count[b[i] >>> 16]++] = b[i];
  return new Float32Array(a.buffer, 0, n);
}
