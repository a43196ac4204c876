/**
 * Gaussian / LoG / median kernels: hand-computed cases and SciPy 1.10.1 / scikit-image 0.19.3 outputs
 * generated once by scripts/gen-segmentation-test-data.py (test/data/segmentation/reference.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/fixtures.js';
import { gaussianKernel1d, gaussianFilter, gaussianLaplace, skimageGaussian, gaussianRadius, correlate1d } from '../src/segmentation/kernels/gaussian.js';
import { axisLayout, extensionMap, type BorderMode } from '../src/segmentation/kernels/boundary.js';
import { medianFilter } from '../src/segmentation/kernels/median.js';

const ref = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'data', 'segmentation', 'reference.json'), 'utf8'));

function countDiff(a: ArrayLike<number>, b: number[]): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

test('reflect / nearest extension maps (SciPy d c b a | a b c d, also beyond one period)', () => {
  // n = 3, 4 before, 4 after: virtual -4..6
  assert.deepEqual([...extensionMap(3, 4, 4, 'reflect')], [2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0]);
  assert.deepEqual([...extensionMap(3, 2, 2, 'nearest')], [0, 0, 0, 1, 2, 2, 2]);
  assert.deepEqual([...extensionMap(1, 2, 2, 'reflect')], [0, 0, 0, 0, 0]);
});

test('radius int(4σ + 0.5) and hand-computed kernels', () => {
  assert.equal(gaussianRadius(1), 4);
  assert.equal(gaussianRadius(0.1), 0);
  assert.equal(gaussianRadius(0.8), 3);
  assert.equal(gaussianRadius(15), 60);
  // σ = 1, order 0: exp(-x²/2) / Σ exp(-x²/2) over x = -4..4
  const k0 = gaussianKernel1d(1, 0, 4);
  let s = 0;
  for (let x = -4; x <= 4; x++) s += Math.exp(-x * x / 2);
  for (let x = -4; x <= 4; x++) assert.ok(Math.abs(k0[x + 4] - Math.exp(-x * x / 2) / s) < 1e-16);
  // order 2: (x²/σ⁴ − 1/σ²) · φ(x); radius 0 kernel with σ = 0.1 is [−1/σ²] = [−100] (Q17 remark)
  const k2 = gaussianKernel1d(2, 2, 8);
  const k20 = gaussianKernel1d(2, 0, 8);
  for (let x = -8; x <= 8; x++) assert.ok(Math.abs(k2[x + 8] - (x * x / 16 - 1 / 4) * k20[x + 8]) < 1e-17);
  assert.ok(Math.abs(gaussianKernel1d(0.1, 2, 0)[0] - -100) < 1e-12);
});

test('kernels agree with SciPy _gaussian_kernel1d to 1e-15 relative (NumPy uses Intel SVML exp on AVX-512)', () => {
  for (const k of ref.kernels) {
    const ours = gaussianKernel1d(k.sigma, k.order, k.radius);
    const scale = Math.max(...k.data.map((v: number) => Math.abs(v)));
    for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(ours[i] - k.data[i]) <= 1e-15 * scale, `σ=${k.sigma} order=${k.order} i=${i}`);
  }
});

test('gaussian_filter of a 1-D impulse is the float32-rounded kernel; sigma 0 axis is skipped', () => {
  const x = new Float32Array(11);
  x[5] = 1;
  const g = gaussianFilter(x, [11], [1]);
  const k = gaussianKernel1d(1, 0, 4);
  for (let i = 0; i < 11; i++) assert.equal(g[i], Math.abs(i - 5) <= 4 ? Math.fround(k[Math.abs(i - 5) + 4]) : 0);
  const img = new Float32Array([1, 2, 3, 4, 5, 6]);
  const onlyX = gaussianFilter(img, [2, 3], [0, 1]);
  const rows = [gaussianFilter(img.subarray(0, 3), [3], [1]), gaussianFilter(img.subarray(3, 6), [3], [1])];
  assert.deepEqual([...onlyX], [...rows[0], ...rows[1]]);
});

test('Q17: LoG with σz <= 1e-15 drops the z derivative order → z term is the xy-smoothed image', () => {
  const v = new Float32Array(Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 37) % 11));
  const dims = [3, 4, 5];
  const log = gaussianLaplace(v, dims, [1e-16, 1, 1]);
  const gz = gaussianFilter(v, dims, [1e-16, 1, 1], [0, 0, 0]);
  const gy = gaussianFilter(v, dims, [1e-16, 1, 1], [0, 2, 0]);
  const gx = gaussianFilter(v, dims, [1e-16, 1, 1], [0, 0, 2]);
  for (let i = 0; i < v.length; i++) assert.equal(log[i], Math.fround(Math.fround(gz[i] + gy[i]) + gx[i]));
});

test('gaussian_filter, gaussian_laplace, skimage gaussian (nearest, RGB quirk) bit-exact vs SciPy/skimage', () => {
  let n = 0;
  for (const c of ref.filters) {
    if (c.op === 'median_filter') continue;
    const inp = ref[c.input];
    const x = new Float32Array(inp.data);
    const y = c.op === 'gaussian_filter' ? gaussianFilter(x, inp.shape, c.sigma)
      : c.op === 'gaussian_laplace' ? gaussianLaplace(x, inp.shape, c.sigma)
      : skimageGaussian(x, inp.shape, c.sigma);
    assert.equal(countDiff(y, c.out.data), 0, `${c.op} ${c.input} σ=${JSON.stringify(c.sigma)}`);
    n++;
  }
  assert.equal(n, 29);
});

test('median_filter: hand-computed reflect borders and SciPy outputs (odd, even, 1, oversize windows)', () => {
  assert.deepEqual([...medianFilter(new Float32Array([5, 1, 9]), [3], [3])], [5, 5, 9]);
  // even size 2: window [i-1, i], rank 1 of 2 = upper median
  assert.deepEqual([...medianFilter(new Float32Array([5, 1, 9]), [3], [2])], [5, 5, 9]);
  // 2-D 3×3 on a 3×3 image with reflect borders, centre = median of all nine
  const img = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(medianFilter(img, [3, 3], [3, 3])[4], 5);
  // corner (0,0): rows {0,0,1} × cols {0,0,1} → [1,1,2,1,1,2,4,4,5] → median 2
  assert.equal(medianFilter(img, [3, 3], [3, 3])[0], 2);
  let n = 0;
  for (const c of ref.filters) {
    if (c.op !== 'median_filter') continue;
    const inp = ref[c.input];
    const y = medianFilter(new Float32Array(inp.data), inp.shape, c.size);
    assert.equal(countDiff(y, c.out.data), 0, `median ${c.input} size=${JSON.stringify(c.size)}`);
    n++;
  }
  assert.equal(n, 11);
});

test('correlate1d along every axis (row-wise and four-at-a-time sums) = the line-by-line NI_Correlate1D order, bit for bit', () => {
  // The line-by-line gather of SciPy's NI_Correlate1D, written out plainly: the reference for the row-wise sums.
  function lineByLine(data: Float32Array, dims: number[], axis: number, w: Float64Array, mode: BorderMode): Float32Array {
    const out = new Float32Array(data);
    const size1 = Math.floor(w.length / 2);
    const size2 = w.length - size1 - 1;
    const [outer, n, inner] = axisLayout(dims, axis);
    let sym = 0;
    if (w.length & 1) {
      sym = 1;
      for (let i = 1; i <= size1; i++) if (Math.abs(w[size1 + i] - w[size1 - i]) > Number.EPSILON) sym = 0;
      if (!sym) {
        sym = -1;
        for (let i = 1; i <= size1; i++) if (Math.abs(w[size1 + i] + w[size1 - i]) > Number.EPSILON) sym = 0;
      }
    }
    const map = extensionMap(n, size1, size2, mode);
    const buf = new Float64Array(n + size1 + size2);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * n * inner + j;
        for (let k = 0; k < buf.length; k++) buf[k] = data[base + map[k] * inner];
        for (let kk = 0; kk < n; kk++) {
          const c = kk + size1;
          let acc: number;
          if (sym > 0) {
            acc = buf[c] * w[size1];
            for (let jj = -size1; jj < 0; jj++) acc += (buf[c + jj] + buf[c - jj]) * w[size1 + jj];
          } else if (sym < 0) {
            acc = buf[c] * w[size1];
            for (let jj = -size1; jj < 0; jj++) acc += (buf[c + jj] - buf[c - jj]) * w[size1 + jj];
          } else {
            acc = buf[c + size2] * w[size1 + size2];
            for (let jj = -size1; jj < size2; jj++) acc += buf[c + jj] * w[size1 + jj];
          }
          out[base + kk * inner] = acc;
        }
      }
    }
    return out;
  }
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const modes: BorderMode[] = ['reflect', 'nearest'];
  let checked = 0;
  for (let trial = 0; trial < 60; trial++) {
    const dims = trial % 3 === 0 ? [2 + Math.floor(rnd() * 5), 3 + Math.floor(rnd() * 20), 1 + Math.floor(rnd() * 30)] : [1 + Math.floor(rnd() * 40), 2 + Math.floor(rnd() * 40)];
    const n = dims.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => (rnd() - 0.3) * 1000);
    const kind = trial % 4;
    const sigma = 0.5 + rnd() * 3;
    const w =
      kind === 0
        ? gaussianKernel1d(sigma, 0, gaussianRadius(sigma)).reverse() // symmetric
        : kind === 1
          ? gaussianKernel1d(sigma, 1, gaussianRadius(sigma)).reverse() // antisymmetric
          : kind === 2
            ? Float64Array.from({ length: 1 + 2 * Math.floor(rnd() * 4) }, () => rnd() - 0.5) // odd, asymmetric
            : Float64Array.from({ length: 2 + 2 * Math.floor(rnd() * 3) }, () => rnd() - 0.5); // even length
    const mode = modes[trial % modes.length];
    for (let axis = 0; axis < dims.length; axis++) {
      const expected = lineByLine(data, dims, axis, w, mode);
      const got = new Float32Array(data);
      correlate1d(got, dims, axis, w, mode);
      assert.ok(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer)), `trial ${trial}: dims ${dims}, axis ${axis}, ${mode}, ${w.length} taps`);
      checked++;
    }
  }
  assert.ok(checked >= 140, `${checked} passes checked`);
});
