/**
 * Declumping's WebAssembly kernels (segmentation/kernels/declump-wasm.ts) give the same bits as the JavaScript
 * loops they replace, which test/declump-smoothing.test.ts checks against a direct sum of CellProfiler's
 * smoothing kernel: the plane smoothing without a mask, over random planes (1–40 rows and columns: every
 * remainder of the four- and two-voxel steps), kernel sizes, anisotropic pixels, edge correction or zeros
 * outside, with and without the voxels that are needed only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskedSmooth } from '../src/segmentation/kernels/masked-smooth.js';
import { declumpKernels, smoothPlaneWasm } from '../src/segmentation/kernels/declump-wasm.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function withEngine<T>(engine: 'wasm' | 'js', f: () => T): T {
  const before = declumpKernels.engine;
  declumpKernels.engine = engine;
  try {
    return f();
  } finally {
    declumpKernels.engine = before;
  }
}

test('the WebAssembly smoothing runs here (Node 20 has SIMD) and declines what does not fit its memory', () => {
  const v = new Float32Array(12).fill(1);
  const k = new Float64Array([0.5, 1, 0.5]);
  const rows = new Int32Array([0, 0, 0]);
  const ends = new Int32Array([4, 4, 4]);
  assert.equal(withEngine('wasm', () => smoothPlaneWasm(v, 3, 4, k, k, 2, 2, false, null, rows, ends, new Float32Array(12))), true);
  assert.equal(withEngine('js', () => smoothPlaneWasm(v, 3, 4, k, k, 2, 2, false, null, rows, ends, new Float32Array(12))), false);
  const big = new Float32Array(257 * 256);
  assert.equal(smoothPlaneWasm(big, 257, 256, k, k, 2, 2, false, null, new Int32Array(257), new Int32Array(257), new Float32Array(big.length)), false);
});

test('plane smoothing: WebAssembly = JavaScript bit for bit (random planes, kernels, spacings, needed voxels)', () => {
  const r = lcg(5);
  for (let it = 0; it < 1500; it++) {
    const Y = 1 + Math.floor(r() * 40);
    const X = 1 + Math.floor(r() * 40);
    const n = Y * X;
    const v = new Float32Array(n);
    // Zeros (a distance map's background), negative values and a −0 among them.
    for (let i = 0; i < n; i++) v[i] = r() < 0.3 ? 0 : Math.fround((r() - 0.2) * 1000);
    if (n > 3) v[3] = -0;
    const needed = r() < 0.3 ? null : Uint8Array.from({ length: n }, () => (r() < 0.7 ? 1 : 0));
    const sigma = 0.3 + r() * 8;
    const zerosOutside = r() < 0.5;
    const spacing: [number, number, number] = [1, 0.5 + r(), 0.5 + r()];
    const js = withEngine('js', () => maskedSmooth(v, null, [1, Y, X], spacing, sigma, new Float32Array(n).fill(7), zerosOutside, needed));
    const wasm = withEngine('wasm', () => maskedSmooth(v, null, [1, Y, X], spacing, sigma, new Float32Array(n).fill(9), zerosOutside, needed));
    for (let i = 0; i < n; i++) {
      assert.ok(Object.is(js[i], wasm[i]), `case ${it} (${Y}×${X}, σ ${sigma}, zeros outside ${zerosOutside}) voxel ${i}: ${js[i]} vs ${wasm[i]}`);
    }
  }
});
