/**
 * Gaussian / LoG / median kernels: hand-computed cases and SciPy 1.10.1 / scikit-image 0.19.3 outputs
 * generated once by scripts/gen-segmentation-test-data.py (test/data/segmentation/reference.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/fixtures.js';
import { gaussianKernel1d, gaussianFilter, gaussianLaplace, skimageGaussian, gaussianRadius } from '../src/segmentation/kernels/gaussian.js';
import { medianFilter } from '../src/segmentation/kernels/median.js';
import { extensionMap } from '../src/segmentation/kernels/boundary.js';

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
