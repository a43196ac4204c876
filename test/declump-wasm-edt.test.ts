/**
 * The distance transform of a plane with any pixel size in WebAssembly (segmentation/kernels/declump-wasm-edt.ts)
 * gives the same float32 bits as the Felzenszwalb–Huttenlocher passes in JavaScript it replaces
 * (`declumpKernels.engine = 'js'`; those passes are checked against SciPy `distance_transform_edt` in
 * segmentation-declump.test.ts): random planes from 2 × 1 and 1-column planes up, noise with rows and columns
 * without background, discs cut by the plane's edges with holes, all-foreground rows and columns, masks without
 * background (+∞ everywhere) and all background, mask bytes other than 0 and 1, and pixel sizes square and not,
 * fractional, unit, tiny (squares that underflow) and huge (squares that overflow).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distanceTransform } from '../src/segmentation/kernels/distance-transform.js';
import { edtPlaneWasm } from '../src/segmentation/kernels/declump-wasm-edt.js';
import { lcg, withEngine } from './helpers/declump-engines.js';

/** [sy, sx] pixel sizes. */
const SPACINGS: [number, number][] = [
  [0.5, 0.5],
  [0.65, 0.65],
  [0.7, 0.5],
  [0.5, 0.7],
  [1, 1],
  [1.3, 1.3],
  [1, 0.3],
  [0.1, 2.7],
  [1 / 3, 1 / 7],
  [1e-3, 1e-3],
  [1e3, 2e3],
  [1e-160, 1e-160],
  [1e-170, 0.5],
  [0.5, 1e-200],
  [1e150, 1e150],
  [1e160, 0.5],
  [0.5, 1e200],
  [Number.MIN_VALUE, Number.MAX_VALUE],
];

function bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function randomMask(r: () => number, Y: number, X: number, kind: number): Uint8Array {
  const n = Y * X;
  const mask = new Uint8Array(n);
  if (kind === 0) for (let i = 0; i < n; i++) mask[i] = r() < 0.8 ? 1 : 0;
  else if (kind === 1) mask.fill(1); // no background: +∞
  else if (kind === 2) for (let i = 0; i < n; i++) mask[i] = r() < 0.97 ? 1 + Math.floor(r() * 255) : 0; // bytes > 1
  else {
    for (let b = 0; b < 3; b++) {
      const cy = r() * Y;
      const cx = r() * X;
      const rad = 1 + r() * 25;
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= rad * rad) mask[y * X + x] = 1;
    }
    if (kind === 4) for (let i = 0; i < n; i++) if (r() < 0.02) mask[i] = 0; // holes
    if (kind === 5) {
      // all-foreground rows and columns through the discs
      const yy = Math.floor(r() * Y);
      const xx = Math.floor(r() * X);
      for (let x = 0; x < X; x++) mask[yy * X + x] = 1;
      for (let y = 0; y < Y; y++) mask[y * X + xx] = 1;
    }
  }
  return mask;
}

test('any-spacing plane distance transform: WebAssembly = JavaScript, bit for bit', () => {
  let planes = 0;
  let nonFinite = 0;
  for (let trial = 0; trial < 600; trial++) {
    const r = lcg(trial * 7 + 3);
    const Y = trial % 20 === 0 ? 2 : 2 + Math.floor(r() * 50);
    const X = trial % 20 === 1 ? 1 : trial % 20 === 2 ? 2 : 1 + Math.floor(r() * 70);
    const mask = randomMask(r, Y, X, trial % 6);
    if (trial % 50 === 7) mask.fill(0);
    for (const [sy, sx] of trial % 3 === 0 ? SPACINGS : [SPACINGS[trial % SPACINGS.length], SPACINGS[(trial >> 2) % SPACINGS.length]]) {
      const spacing: [number, number, number] = [1 + (trial % 3), sy, sx];
      const js = withEngine('js', () => distanceTransform(mask, [1, Y, X], spacing, new Float32Array(Y * X).fill(-1)));
      const got = new Float32Array(Y * X).fill(-2);
      assert.equal(withEngine('wasm', () => edtPlaneWasm(mask, Y, X, sy, sx, got)), true);
      assert.deepEqual(bytes(got), bytes(js), `trial ${trial}: ${Y} x ${X}, spacing ${sy} x ${sx}`);
      const viaEntry = withEngine('wasm', () => distanceTransform(mask, [1, Y, X], spacing, new Float32Array(Y * X).fill(-3)));
      assert.deepEqual(bytes(viaEntry), bytes(js), `trial ${trial}: entry point`);
      if (js.some((v) => !Number.isFinite(v))) nonFinite++;
      planes++;
    }
  }
  assert.ok(planes > 3000, `${planes} planes`);
  assert.ok(nonFinite > 100, `${nonFinite} planes with +∞ or NaN`);
});

test('any-spacing plane distance transform: declines where it cannot run, errors stay the JavaScript\'s', () => {
  const mask = new Uint8Array(6).fill(1);
  mask[0] = 0;
  const out = new Float32Array(6);
  assert.equal(withEngine('js', () => edtPlaneWasm(mask, 2, 3, 0.5, 0.5, out)), false);
  assert.equal(edtPlaneWasm(mask, 1, 6, 0.5, 0.5, out), false); // one row: not the root pass
  assert.equal(edtPlaneWasm(new Uint8Array(1 << 17), 2, 1 << 16, 0.5, 0.5, new Float32Array(1 << 17)), false); // too big
  // The larger plane through the entry point: the JavaScript.
  const big = new Uint8Array(1 << 17).fill(1);
  big[5] = 0;
  const d = distanceTransform(big, [1, 2, 1 << 16], [1, 0.5, 0.5]);
  assert.equal(d[5], 0);
  assert.equal(d[6], 0.5);
  for (const bad of [[1, 0, 0.5], [1, 0.5, NaN], [0, 0.5, 0.5], [1, 0.5, Infinity]] as [number, number, number][]) {
    assert.throws(() => distanceTransform(mask, [1, 2, 3], bad), /spacing/);
  }
  assert.throws(() => distanceTransform(mask, [1, 2, 4], [1, 0.5, 0.5], new Float32Array(6)), /voxels/);
});
