/**
 * The seeds of declumping on a plane in WebAssembly (segmentation/kernels/declump-wasm-peaks.ts) give the same
 * results as the JavaScript they replace (`declumpKernels.engine = 'js'`; that JavaScript is checked against
 * scikit-image's `peak_local_max` in segmentation-declump.test.ts and the smoothing against a direct sum of
 * CellProfiler's kernel in declump-smoothing.test.ts): `peakLocalMax` of one region (declumping's `oneRegion`,
 * with and without `seedEveryRegion`) over random planes from 1 × 1 up, regions touching the plane's edges,
 * values with many ties and plateaus, zeros, negative values, NaN, +∞ and −0, and planes without any value > 0, several minimum
 * distances (0, under a pixel, fractional, larger than the plane) and isotropic and anisotropic spacings; and the
 * plane smoothing without and with a mask (an ROI's: discs cut by the plane's edges, holes, random voxels), with and
 * without the voxels that are needed only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peakLocalMax } from '../src/segmentation/kernels/peaks.js';
import { maskedSmooth } from '../src/segmentation/kernels/masked-smooth.js';
import { peakLocalMaxPlaneWasm, smoothPlaneMaskedWasm, smoothPlaneNeededWasm } from '../src/segmentation/kernels/declump-wasm-peaks.js';
import { lcg, withEngine } from './helpers/declump-engines.js';

const SPACINGS: [number, number, number][] = [
  [1, 1, 1],
  [1, 0.5, 1.3],
  [2, 1.7, 0.65],
  [1, 0.1, 0.3],
  [3, 0.3, 0.1],
  [1, 0.65, 0.65],
];

/** A random plane: one region (id `id`) of blobs or of nearly every voxel, and values with ties. */
function randomPlane(r: () => number): { Y: number; X: number; values: Float32Array; regions: Uint32Array } {
  const Y = 1 + Math.floor(r() * (r() < 0.1 ? 4 : 48));
  const X = 1 + Math.floor(r() * (r() < 0.1 ? 4 : 48));
  const n = Y * X;
  const regions = new Uint32Array(n);
  const values = new Float32Array(n);
  const id = r() < 0.5 ? 1 : 1 + Math.floor(r() * 1000);
  const kind = r();
  if (kind < 0.3) {
    regions.fill(id); // the whole plane: every edge touched
  } else {
    // discs (some cut by the plane's edges)
    const discs = 1 + Math.floor(r() * 6);
    for (let d = 0; d < discs; d++) {
      const cy = r() * Y;
      const cx = r() * X;
      const rad = 1 + r() * Math.max(Y, X) * 0.4;
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= rad * rad) regions[y * X + x] = id;
    }
    if (kind > 0.8) for (let i = 0; i < n; i++) if (r() < 0.1) regions[i] = 0;
  }
  const vk = r();
  if (vk < 0.35) {
    // few levels: plateaus and ties everywhere
    const levels = 1 + Math.floor(r() * 5);
    for (let i = 0; i < n; i++) values[i] = Math.floor(r() * levels) * 0.5;
  } else if (vk < 0.7) {
    // a smooth bumpy surface (a distance map's look), rounded to create ties
    const bumps = 1 + Math.floor(r() * 5);
    const cs = Array.from({ length: bumps }, () => [r() * Y, r() * X, 1 + r() * 10]);
    const q = r() < 0.5 ? 4 : 1024;
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        let v = 0;
        for (const [by, bx, h] of cs) v = Math.max(v, h - Math.hypot(y - by, x - bx));
        values[y * X + x] = Math.round(v * q) / q;
      }
    }
  } else if (vk < 0.9) {
    for (let i = 0; i < n; i++) values[i] = r() * 10 - (r() < 0.1 ? 20 : 0);
  } else {
    // nothing > 0: the fallback seed (highest voxel, first of equals)
    for (let i = 0; i < n; i++) values[i] = -Math.floor(r() * 3);
  }
  if (r() < 0.1) {
    // special values: NaN (never a peak, never larger), +∞ (ties among themselves), −0
    const specials = [Number.NaN, Infinity, -0, Infinity];
    for (let i = 0; i < n; i++) if (r() < 0.05) values[i] = specials[Math.floor(r() * specials.length)];
  }
  return { Y, X, values, regions };
}

test('the WebAssembly peak search runs here and declines what it cannot reproduce', () => {
  const values = new Float32Array(16).fill(1);
  const regions = new Uint32Array(16).fill(1);
  const s: [number, number, number] = [1, 1, 1];
  assert.ok(withEngine('wasm', () => peakLocalMaxPlaneWasm(values, regions, 4, 4, 2, s, true)) !== null);
  assert.equal(withEngine('js', () => peakLocalMaxPlaneWasm(values, regions, 4, 4, 2, s, true)), null);
  assert.equal(peakLocalMaxPlaneWasm(values, regions, 4, 4, Number.NaN, s, true), null);
  assert.equal(peakLocalMaxPlaneWasm(values, regions, 4, 4, 2, [1, 0, 1], true), null);
  assert.equal(peakLocalMaxPlaneWasm(values, regions, 4, 4, 2, [Infinity, 1, 1], true), null);
  const big = new Float32Array(257 * 256);
  assert.equal(peakLocalMaxPlaneWasm(big, new Uint32Array(big.length), 257, 256, 2, s, true), null);
  // A flat plateau: every voxel a candidate; accepted in raster order where none lies within 2 px (inclusive).
  assert.deepEqual(Array.from(peakLocalMaxPlaneWasm(values, regions, 4, 4, 2, s, true)!), [0, 3, 9, 15]);
});

test('peakLocalMax of one region: WebAssembly = JavaScript (random planes, ties, edges, minimum distances, spacings)', () => {
  const r = lcg(31);
  let peaks = 0;
  let fallbacks = 0;
  for (let it = 0; it < 3000; it++) {
    const { Y, X, values, regions } = randomPlane(r);
    const md = [0, 0.4, 1, 1.5, 2, 2.5, 3, 4.2, 6, 9.5, 30][Math.floor(r() * 11)] * (r() < 0.3 ? 0.65 : 1);
    const options = { minDistance: md, spacing: SPACINGS[Math.floor(r() * SPACINGS.length)], seedEveryRegion: r() < 0.8, oneRegion: true };
    const js = withEngine('js', () => peakLocalMax(values, regions, [1, Y, X], options));
    const wasm = withEngine('wasm', () => peakLocalMax(values, regions, [1, Y, X], options));
    assert.deepEqual(wasm, js, `case ${it} (${Y}×${X}, md ${md}, spacing ${options.spacing})`);
    // the kernel itself ran (not the fallback) where it can
    const direct = withEngine('wasm', () => peakLocalMaxPlaneWasm(values, regions, Y, X, md, options.spacing, options.seedEveryRegion));
    assert.ok(direct !== null, `case ${it}`);
    assert.deepEqual(direct, js);
    peaks += js.length;
    if (js.length === 1 && !(values[js[0]] > 0)) fallbacks++;
  }
  assert.ok(peaks > 10000, `peaks found: ${peaks}`);
  assert.ok(fallbacks > 50, `fallback seeds: ${fallbacks}`);
});

test('peakLocalMax: plateaus of the kernels\' largest plane give the JavaScript result', () => {
  // A plateau of the kernels' largest plane: every voxel a candidate (the sort's merges, a full grid).
  for (const md of [0, 1, 3.5]) {
    const Y = 256;
    const X = 256;
    const values = new Float32Array(Y * X).fill(2.5);
    const regions = new Uint32Array(Y * X).fill(1);
    const options = { minDistance: md, spacing: [1, 0.7, 1] as [number, number, number], seedEveryRegion: true, oneRegion: true };
    const js = withEngine('js', () => peakLocalMax(values, regions, [1, Y, X], options));
    const wasm = withEngine('wasm', () => peakLocalMax(values, regions, [1, Y, X], options));
    assert.deepEqual(wasm, js, `plateau md ${md}`);
  }
});

test('plane smoothing with its set-up in WebAssembly = JavaScript (with and without a mask, needed voxels, zeros outside, spacings)', () => {
  const r = lcg(33);
  let masked = 0;
  const one = new Float64Array([1]);
  assert.equal(withEngine('wasm', () => smoothPlaneMaskedWasm(new Float32Array(9), new Uint8Array(9), 3, 3, one, one, null, new Float32Array(9))), true);
  assert.equal(withEngine('wasm', () => smoothPlaneNeededWasm(new Float32Array(9), 3, 3, one, one, false, null, new Float32Array(9))), true);
  assert.equal(withEngine('js', () => smoothPlaneMaskedWasm(new Float32Array(9), new Uint8Array(9), 3, 3, new Float64Array([1]), new Float64Array([1]), null, new Float32Array(9))), false);
  assert.equal(withEngine('js', () => smoothPlaneNeededWasm(new Float32Array(9), 3, 3, new Float64Array([1]), new Float64Array([1]), false, null, new Float32Array(9))), false);
  for (let it = 0; it < 1500; it++) {
    const Y = 2 + Math.floor(r() * 40);
    const X = 2 + Math.floor(r() * 40);
    const n = Y * X;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = r() < 0.2 ? 0 : r() * 20;
    let needed: Uint8Array | null = null;
    if (r() < 0.8) {
      needed = new Uint8Array(n);
      const p = r();
      for (let i = 0; i < n; i++) needed[i] = r() < p ? 1 : 0;
      if (r() < 0.2) needed.fill(0, 0, Math.min(n, X * Math.floor(r() * Y))); // empty rows
    }
    let mask: Uint8Array | null = null;
    if (r() < 0.5) {
      // an ROI's mask: a disc (cut by the edges) with holes, or random voxels
      mask = new Uint8Array(n);
      const cy = r() * Y;
      const cx = r() * X;
      const rad = 1 + r() * Math.max(Y, X);
      const holes = r() < 0.5 ? 0.1 : 0;
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= rad * rad && r() >= holes) mask[y * X + x] = 1;
      if (r() < 0.2) for (let i = 0; i < n; i++) mask[i] = r() < 0.5 ? 1 : 0;
      masked++;
    }
    const spacing = SPACINGS[Math.floor(r() * SPACINGS.length)];
    const sigma = 0.3 + r() * 5;
    const zerosOutside = r() < 0.5;
    const js = withEngine('js', () => maskedSmooth(values, mask, [1, Y, X], spacing, sigma, new Float32Array(n), zerosOutside, needed));
    const wasm = withEngine('wasm', () => maskedSmooth(values, mask, [1, Y, X], spacing, sigma, new Float32Array(n), zerosOutside, needed));
    assert.deepEqual(wasm, js, `case ${it} (${Y}×${X}, σ ${sigma}, mask ${mask !== null})`);
  }
  assert.ok(masked > 600, `masked cases: ${masked}`);
});

test('peakLocalMax: peaks exactly minDistance apart clash although the products round above it (both engines)', () => {
  // fl(10 · 0.3) = 3.0000000000000004 and fl(3 · 0.1) = 0.30000000000000004: squared they exceed minDistance², which
  // the 1e-12 slack of the distance test absorbs (the distance is inclusive, as skimage's `_ensure_spacing`).
  const cases: { md: number; s: number; k: number }[] = [
    { md: 3, s: 0.3, k: 10 },
    { md: 0.3, s: 0.1, k: 3 },
    { md: 0.9, s: 0.3, k: 3 },
  ];
  for (const { md, s, k } of cases) {
    for (const vertical of [false, true]) {
      for (const second of [5, 4]) {
        const Y = vertical ? k + 8 : 5;
        const X = vertical ? 5 : k + 8;
        const values = new Float32Array(Y * X); // 0: no peaks but the two
        const regions = new Uint32Array(Y * X).fill(1);
        const a = vertical ? 3 * X + 2 : 2 * X + 3;
        const b = vertical ? (3 + k) * X + 2 : 2 * X + 3 + k;
        values[a] = 5;
        values[b] = second;
        const spacing: [number, number, number] = vertical ? [1, s, 1] : [1, 1, s];
        const options = { minDistance: md, spacing, seedEveryRegion: true, oneRegion: true };
        for (const engine of ['js', 'wasm'] as const) {
          const peaks = withEngine(engine, () => peakLocalMax(values, regions, [1, Y, X], options));
          assert.deepEqual(Array.from(peaks), [a], `${engine} md ${md} s ${s} vertical ${vertical} second ${second}`);
        }
      }
    }
  }
});
