/**
 * The declumping smoothing of a plane (`maskedSmooth` → `smoothPlane`, with the unrolled rows of
 * `smooth-rows.ts` for kernel half-widths 1–4) must give the same values, bit for bit, as the generic separable
 * passes (`convolveAxis`, taken by a two-plane volume whose z axis is not smoothed), and agree with a direct
 * 2-D sum of CellProfiler's `smooth_image` kernel (σ = S / 2.35, half-width max(⌊S / 2⌋, 1), zeros outside,
 * divided by the in-array weight) to rounding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskedSmooth } from '../src/segmentation/kernels/masked-smooth.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** CellProfiler `smooth_image` (mask-free, edge-corrected or zeros outside) as a direct 2-D sum in float64. */
function direct(v: Float32Array, Y: number, X: number, sigma: number, zerosOutside: boolean): Float64Array {
  const half = Math.max(Math.trunc((2.35 * sigma) / 2), 1);
  const k = (i: number) => Math.exp((-0.5 * i * i) / (sigma * sigma));
  const out = new Float64Array(Y * X);
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      let acc = 0;
      let w = 0;
      let wAll = 0;
      for (let dy = -half; dy <= half; dy++) {
        for (let dx = -half; dx <= half; dx++) {
          const kk = k(dy) * k(dx);
          wAll += kk;
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= Y || xx < 0 || xx >= X) continue;
          acc += v[yy * X + xx] * kk;
          w += kk;
        }
      }
      out[y * X + x] = acc / (zerosOutside ? wAll : w);
    }
  }
  return out;
}

for (const sigma of [1.0, 1.5, 2.2, 2.857142857142857, 3.6, 4.5]) {
  for (const zerosOutside of [false, true]) {
    test(`plane smoothing σ = ${sigma} px, ${zerosOutside ? 'zeros outside' : 'edge-corrected'}: generic passes bit for bit, direct sum to 1e-12`, () => {
      const rnd = lcg(Math.round(sigma * 1000) + (zerosOutside ? 1 : 0));
      const [Y, X] = [23, 31];
      const v = new Float32Array(Y * X);
      for (let i = 0; i < v.length; i++) v[i] = Math.fround(rnd() * 20);
      // Only the voxels of a blob are needed (the others are 0 in the output), as in declumping.
      const needed = new Uint8Array(Y * X);
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) needed[y * X + x] = (y - 11) ** 2 / 100 + (x - 14) ** 2 / 160 < 1 ? 1 : 0;
      const plane = maskedSmooth(v, null, [1, Y, X], [1, 1, 1], sigma, new Float32Array(Y * X), zerosOutside);
      const planeNeeded = maskedSmooth(v, null, [1, Y, X], [1, 1, 1], sigma, new Float32Array(Y * X), zerosOutside, needed);
      // Two identical planes 1000 µm apart: z is not smoothed, y and x go through the generic passes.
      const two = new Float32Array(2 * Y * X);
      two.set(v);
      two.set(v, Y * X);
      const generic = maskedSmooth(two, null, [2, Y, X], [1000, 1, 1], sigma, new Float32Array(2 * Y * X), zerosOutside);
      const ref = direct(v, Y, X, sigma, zerosOutside);
      for (let i = 0; i < Y * X; i++) {
        assert.ok(Object.is(plane[i], generic[i]), `voxel ${i}: ${plane[i]} vs generic ${generic[i]}`);
        assert.ok(Object.is(planeNeeded[i], needed[i] ? generic[i] : 0), `needed voxel ${i}`);
        assert.ok(Math.abs(plane[i] - ref[i]) <= 1e-12 * 20 + Math.abs(ref[i]) * 2 ** -23, `voxel ${i}: ${plane[i]} vs direct ${ref[i]}`);
      }
    });
  }
}

test('a plane larger than the unrolled rows\' fixed buffer (over 65 536 voxels) gives the generic passes\' values too', () => {
  const rnd = lcg(77);
  const [Y, X] = [257, 260];
  const v = new Float32Array(Y * X);
  for (let i = 0; i < v.length; i++) v[i] = Math.fround(rnd() * 20);
  for (const zerosOutside of [false, true]) {
    const plane = maskedSmooth(v, null, [1, Y, X], [1, 1, 1], 2.857142857142857, new Float32Array(Y * X), zerosOutside);
    const two = new Float32Array(2 * Y * X);
    two.set(v);
    two.set(v, Y * X);
    const generic = maskedSmooth(two, null, [2, Y, X], [1000, 1, 1], 2.857142857142857, new Float32Array(2 * Y * X), zerosOutside);
    for (let i = 0; i < Y * X; i++) assert.ok(Object.is(plane[i], generic[i]), `voxel ${i}: ${plane[i]} vs generic ${generic[i]}`);
  }
});
