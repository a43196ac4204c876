/**
 * The integer distance transform of unit-pixel planes (`distance-transform-int.ts`, Meijster et al. 2000) must
 * give the general Felzenszwalb–Huttenlocher passes' float32 distances to the bit — those passes are checked
 * against SciPy `distance_transform_edt` in segmentation-declump.test.ts — on masks with rows and columns
 * without background, thin and one-row / one-column planes, and must decline (return false) a plane without
 * background, whose transform is +∞.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { squaredDistanceTransform, distanceTransform } from '../src/segmentation/kernels/distance-transform.js';
import { unitPlaneDistanceTransform } from '../src/segmentation/kernels/distance-transform-int.js';
import { withEngine } from './helpers/declump-engines.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** The general passes (anisotropic code path with unit spacing), rooted as float32. */
function reference(mask: Uint8Array, Y: number, X: number): Float32Array {
  const sq = squaredDistanceTransform(mask, [1, Y, X], [1, 1, 1]);
  return Float32Array.from(sq, (v) => Math.sqrt(v));
}

test('integer distance transform = the general passes, bit for bit', () => {
  let checked = 0;
  for (let trial = 0; trial < 300; trial++) {
    const r = lcg(trial + 17);
    const Y = trial % 25 === 0 ? 1 : 1 + Math.floor(r() * 40);
    const X = trial % 25 === 1 ? 1 : 1 + Math.floor(r() * 60);
    const n = Y * X;
    const mask = new Uint8Array(n);
    const kind = trial % 4;
    if (kind === 0) for (let i = 0; i < n; i++) mask[i] = r() < 0.8 ? 1 : 0; // noise: rows / columns without background
    else {
      // Discs, optionally cut by the plane's edge, with a few holes.
      for (let b = 0; b < 3; b++) {
        const cy = r() * Y;
        const cx = r() * X;
        const rad = 1 + r() * 20;
        for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= rad * rad) mask[y * X + x] = 1;
      }
      if (kind === 3) for (let i = 0; i < n; i++) if (r() < 0.02) mask[i] = 0;
    }
    const expected = reference(mask, Y, X);
    const got = new Float32Array(n).fill(NaN);
    if (!mask.includes(0)) {
      assert.equal(unitPlaneDistanceTransform(mask, Y, X, got), false, `trial ${trial}: no background`);
      continue;
    }
    assert.equal(unitPlaneDistanceTransform(mask, Y, X, got), true, `trial ${trial}`);
    assert.deepEqual(got, expected, `trial ${trial}: ${Y} x ${X}`);
    // And through the public entry point (which picks the integer passes for unit pixels).
    assert.deepEqual(distanceTransform(mask, [1, Y, X], [1, 1, 1]), expected, `trial ${trial}`);
    checked++;
  }
  assert.ok(checked > 200, `${checked} planes checked`);
});

test('a plane without background: +∞ everywhere, as SciPy', () => {
  const mask = new Uint8Array(12).fill(1);
  assert.equal(unitPlaneDistanceTransform(mask, 3, 4, new Float32Array(12)), false);
  assert.deepEqual(Array.from(distanceTransform(mask, [1, 3, 4], [1, 1, 1])), new Array(12).fill(Infinity));
});

test('square pixels of any side: fround(√fl(s² · k)), the general passes\' distances, in both engines', () => {
  // The general passes (Felzenszwalb–Huttenlocher in float64, `edtPlane` or `edt`) are the reference; the integer
  // passes give the root of one product s² · k. s a power of two: every product exact, so the same bits; other
  // sides: the same wherever the float passes' sums round to fl(s² · k) — all of these planes (counted below).
  let checked = 0;
  let mismatches = 0;
  for (const side of [0.5, 0.25, 2, 0.65, 0.325, 1.3, 0.1, 0.1625]) {
    for (let trial = 0; trial < 40; trial++) {
      const r = lcg(1000 * side + trial);
      const Y = 2 + Math.floor(r() * 40);
      const X = 2 + Math.floor(r() * 60);
      const n = Y * X;
      const mask = new Uint8Array(n);
      for (let b = 0; b < 3; b++) {
        const cy = r() * Y;
        const cx = r() * X;
        const rad = 1 + r() * 20;
        for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= rad * rad) mask[y * X + x] = 1;
      }
      if (!mask.includes(0)) continue;
      const sq = squaredDistanceTransform(mask, [1, Y, X], [1, side, side]);
      const expected = Float32Array.from(sq, (v) => Math.sqrt(v));
      for (const engine of ['js', 'wasm'] as const) {
        const got = new Float32Array(n).fill(NaN);
        assert.equal(withEngine(engine, () => unitPlaneDistanceTransform(mask, Y, X, got, null, side * side)), true);
        for (let i = 0; i < n; i++) if (got[i] !== expected[i]) mismatches++;
        assert.deepEqual(
          withEngine(engine, () => distanceTransform(mask, [1, Y, X], [1, side, side])),
          got,
          `${engine}, side ${side}, trial ${trial}: the public entry point takes the integer passes`,
        );
      }
      // A deliberately wrong pixel size must be seen (the comparison can fail).
      const wrong = new Float32Array(n);
      unitPlaneDistanceTransform(mask, Y, X, wrong, null, side * side * 1.0001);
      assert.notDeepEqual(wrong, expected);
      checked++;
    }
  }
  assert.ok(checked > 200, `${checked} planes checked`);
  assert.equal(mismatches, 0, 'float32 distances differing from the general passes');
});
