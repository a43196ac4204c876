/**
 * The watershed of a plane and basin merging in WebAssembly (segmentation/kernels/declump-wasm-merge.ts) give the
 * same labels as the JavaScript they replace (engine 'js'; the JavaScript itself is checked against a plain
 * priority queue in test/declump-watershed-ranks.test.ts and against scikit-image in segmentation-declump.test.ts):
 * `seededWatershedOfDistance` with the integer transform's ranks and `seededWatershedOfNegated` on planes with and
 * without an empty border; `mergeShallowBasins` on random basins with one or two criteria (relative or absolute,
 * 'max' or 'mean' saddles, in either order), fragments, maps given or made on demand (made exactly as often by
 * both engines), NaN saddles and more labels than the kernel's table holds (both: the JavaScript's fallback).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededWatershed, seededWatershedOfNegated } from '../src/segmentation/kernels/watershed.js';
import { seededWatershedOfDistance } from '../src/segmentation/kernels/watershed-distance.js';
import { unitPlaneDistanceTransform, squaredDistanceTop } from '../src/segmentation/kernels/distance-transform-int.js';
import { mergeShallowBasins, type SaddleCriterion } from '../src/segmentation/declump/merge-shallow.js';
import { mergeScanWasm } from '../src/segmentation/kernels/declump-wasm.js';
import { distanceWatershedPlaneWasm, floodPlaneWasm, mergeShallowPlaneWasm, negatedWatershedPlaneWasm } from '../src/segmentation/kernels/declump-wasm-merge.js';
import { distanceTransform } from '../src/segmentation/kernels/distance-transform.js';
import { lcg, withEngine } from './helpers/declump-engines.js';

/** A random mask (blobs, with or without an empty border) and k markers on it. */
function randomPlane(r: () => number, emptyBorder: boolean): { Y: number; X: number; n: number; mask: Uint8Array; markers: Uint32Array } {
  const Y = 1 + Math.floor(r() * 50);
  const X = 1 + Math.floor(r() * 50);
  const n = Y * X;
  const mask = new Uint8Array(n);
  for (let b = 0; b < 1 + Math.floor(r() * 4); b++) {
    const [cy, cx, ry, rx] = [r() * Y, r() * X, 1 + r() * 20, 1 + r() * 20];
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        if (emptyBorder && (y === 0 || x === 0 || y === Y - 1 || x === X - 1)) continue;
        if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 < 1 && r() < 0.97) mask[y * X + x] = 1;
      }
    }
  }
  const markers = new Uint32Array(n);
  const k = 1 + Math.floor(r() * 8);
  for (let s = 1; s <= k; s++) markers[Math.floor(r() * n)] = s; // some outside the mask
  return { Y, X, n, mask, markers };
}

test('the wrappers decline what they cannot run (engine js, planes too large, masks touching the border)', () => {
  const mask = new Uint8Array(25).fill(1);
  const labels = new Uint32Array(25);
  assert.equal(floodPlaneWasm(new Int32Array(25), 4, labels, mask, 5, 5), false, 'the mask touches the border');
  assert.equal(negatedWatershedPlaneWasm(new Float32Array(25), labels, mask, 5, 5), false, 'the mask touches the border');
  const inner = new Uint8Array(25);
  inner[12] = 1;
  assert.equal(floodPlaneWasm(new Int32Array(25), 4, labels, inner, 5, 5), true);
  assert.equal(withEngine('js', () => floodPlaneWasm(new Int32Array(25), 4, labels, inner, 5, 5)), false);
  assert.equal(withEngine('js', () => negatedWatershedPlaneWasm(new Float32Array(25), labels, inner, 5, 5)), false);
  const big = 257 * 256;
  assert.equal(floodPlaneWasm(new Int32Array(big), 4, new Uint32Array(big), new Uint8Array(big), 257, 256), false);
  const criteria: SaddleCriterion[] = [{ map: new Float32Array(25), h: 1, relative: false }];
  assert.equal(withEngine('js', () => mergeShallowPlaneWasm(labels, 3, 5, 5, criteria, 0, [])), -1);
  assert.equal(mergeShallowPlaneWasm(labels, 64, 5, 5, criteria, 0, []), -1, 'over 63 labels');
});

test('watershed of the distance map with the integer ranks: WebAssembly = JavaScript (empty border or not)', () => {
  const r = lcg(71);
  let inWasm = 0;
  for (let it = 0; it < 1200; it++) {
    const { Y, X, n, mask, markers } = randomPlane(r, r() < 0.85);
    const dist = new Float32Array(n);
    const ranks = new Int32Array(n);
    if (!withEngine('js', () => unitPlaneDistanceTransform(mask, Y, X, dist, ranks))) continue;
    const js = markers.slice();
    withEngine('js', () => seededWatershedOfDistance(dist, js, mask, [1, Y, X], 1, ranks));
    const wasm = markers.slice();
    withEngine('wasm', () => seededWatershedOfDistance(dist, wasm, mask, [1, Y, X], 1, ranks));
    assert.deepEqual(wasm, js, `case ${it} (${Y}×${X})`);
    const direct = markers.slice();
    if (floodPlaneWasm(ranks, squaredDistanceTop(Y, X) + 1, direct, mask, Y, X)) {
      inWasm++;
      assert.deepEqual(direct, js, `case ${it}: the kernel itself`);
    }
  }
  assert.ok(inWasm > 500, `planes flooded in WebAssembly: ${inWasm}`);
});

test('watershed of a distance map with square non-unit pixels (ranked by its integer squares): WebAssembly = JavaScript', () => {
  const r = lcg(75);
  let inWasm = 0;
  for (let it = 0; it < 800; it++) {
    const { Y, X, n, mask, markers } = randomPlane(r, r() < 0.85);
    const s = [1, 0.65, 0.3, 2.5, 0.1 + r()][it % 5];
    const dist = distanceTransform(mask, [1, Y, X], [1, s, s], new Float32Array(n));
    if (it % 7 === 0) for (let i = 0; i < n; i++) if (mask[i] && r() < 0.01) dist[i] = Math.fround(dist[i] * 1.001); // not g(k): the fallback
    const js = markers.slice();
    withEngine('js', () => seededWatershedOfDistance(dist, js, mask, [1, Y, X], s * s));
    const wasm = markers.slice();
    withEngine('wasm', () => seededWatershedOfDistance(dist, wasm, mask, [1, Y, X], s * s));
    assert.deepEqual(wasm, js, `case ${it} (${Y}×${X}, pixel ${s})`);
    if (!js.every((v, i) => v === markers[i]) && wasmRan(dist, markers, mask, Y, X, s)) inWasm++;
  }
  assert.ok(inWasm > 300, `planes flooded in WebAssembly: ${inWasm}`);
});

/** Whether the kernel takes this plane (and then gives the JavaScript's labels: checked above through the caller). */
function wasmRan(dist: Float32Array, markers: Uint32Array, mask: Uint8Array, Y: number, X: number, s: number): boolean {
  const B = squaredDistanceTop(Y, X) + 1;
  const g = Float32Array.from({ length: B }, (_, k) => Math.sqrt(s * s * k));
  return distanceWatershedPlaneWasm(dist, markers.slice(), mask, Y, X, g, B, 1 / (s * s));
}

test('watershed of negated intensities: WebAssembly = JavaScript (empty border or not, integers, wide ranges, fractions, NaN)', () => {
  const r = lcg(72);
  let inWasm = 0;
  let inWasmSorted = 0;
  for (let it = 0; it < 1200; it++) {
    const { Y, X, n, mask, markers } = randomPlane(r, r() < 0.85);
    const kind = it % 4; // 0: integers in a narrow range (a NaN or −∞ among them in some), 1: a range wider than the box, 2: fractions, 3: negative and −0
    const levels = kind === 1 ? 3 * n : 1 + Math.floor(r() * 200);
    // Fractions: continuous (few ties) or in quarters (many ties), around zero.
    const quarters = r() < 0.5;
    const image = Float32Array.from({ length: n }, () =>
      kind === 2 ? (quarters ? Math.floor(r() * levels) * 0.25 : r() * levels) - levels / 3 : Math.floor(r() * levels) - (kind === 3 ? levels / 2 : 0),
    );
    if (kind === 3 && n > 2) [image[1], image[2]] = [-0, 0];
    if (kind === 0 && r() < 0.2) image[Math.floor(r() * n)] = r() < 0.5 ? NaN : -Infinity; // not integers: the JavaScript
    const js = markers.slice();
    withEngine('js', () => seededWatershedOfNegated(image, js, mask, [1, Y, X]));
    const wasm = markers.slice();
    withEngine('wasm', () => seededWatershedOfNegated(image, wasm, mask, [1, Y, X]));
    assert.deepEqual(wasm, js, `case ${it} (kind ${kind}, ${Y}×${X})`);
    const direct = markers.slice();
    if (negatedWatershedPlaneWasm(image, direct, mask, Y, X)) {
      inWasm++;
      if (kind === 1 || kind === 2) inWasmSorted++;
      assert.deepEqual(direct, js, `case ${it}: the kernel itself`);
    }
  }
  assert.ok(inWasm > 300 && inWasmSorted > 150, `planes flooded in WebAssembly: ${inWasm}, of them ranked by sorting: ${inWasmSorted}`);
});

/** Watershed basins 1…k of a random plane (as test/declump-wasm.test.ts's). */
function randomBasins(r: () => number, k: number): { Y: number; X: number; n: number; labels: Uint32Array } {
  const Y = 3 + Math.floor(r() * 40);
  const X = 3 + Math.floor(r() * 40);
  const n = Y * X;
  const mask = new Uint8Array(n);
  const image = new Float32Array(n);
  const labels = new Uint32Array(n);
  for (let y = 1; y < Y - 1; y++) for (let x = 1; x < X - 1; x++) if (r() < 0.95) mask[y * X + x] = 1;
  for (let i = 0; i < n; i++) image[i] = Math.floor(r() * 20);
  for (let s = 1; s <= k; s++) labels[Math.floor(r() * n)] = s;
  seededWatershed(image, labels, mask, [1, Y, X]);
  return { Y, X, n, labels };
}

test('basin merging: WebAssembly = JavaScript (criteria in either order, fragments, maps made on demand, NaN, many labels)', () => {
  const r = lcg(73);
  let merged = 0;
  let direct = 0;
  let skippedMaker = 0;
  let declined = 0;
  for (let it = 0; it < 2000; it++) {
    const k = 2 + Math.floor(r() * (it % 15 === 0 ? 70 : 9));
    const { Y, X, n, labels } = randomBasins(r, k);
    const withNaN = it % 25 === 0;
    const intensity = Float32Array.from({ length: n }, () => (r() < 0.03 ? -0 : Math.fround(r() * 100)));
    if (withNaN) for (let i = 0; i < n; i++) if (r() < 0.05) intensity[i] = NaN;
    const distance = Float32Array.from({ length: n }, () => Math.sqrt(Math.floor(r() * 40)));
    const contrast = { map: intensity, h: r() * 1.2, relative: true, saddle: r() < 0.5 ? 'mean' : 'max' } as const;
    const neck = { map: distance, h: r() * 4, relative: false, saddle: r() < 0.2 ? 'mean' : 'max' } as const;
    const order = Math.floor(r() * 4); // contrast only, neck only, contrast + neck (shape, intensity), neck + contrast
    const base: SaddleCriterion[] = order === 0 ? [contrast] : order === 1 ? [neck] : order === 2 ? [contrast, neck] : [neck, contrast];
    const lazy = Math.floor(r() * 4); // which maps are made on demand: none, the first, the second, both
    const minVoxels = r() < 0.6 ? 0 : r() * 80;
    const run = (engine: 'js' | 'wasm') => {
      const calls = [0, 0];
      const criteria = base.map((cr, c) =>
        lazy === c + 1 || lazy === 3 ? { ...cr, map: () => (calls[c]++, cr.map as Float32Array) } : cr,
      );
      const out = labels.slice();
      const m = withEngine(engine, () => mergeShallowBasins(out, k, [1, Y, X], criteria, minVoxels));
      return { m, out, calls };
    };
    const js = run('js');
    const wasm = run('wasm');
    assert.equal(wasm.m, js.m, `case ${it}: objects`);
    assert.deepEqual(wasm.out, js.out, `case ${it}: labels`);
    assert.deepEqual(wasm.calls, js.calls, `case ${it}: maps made`);
    assert.ok(Math.max(...js.calls) <= 1, 'a map is made at most once');
    if (js.m < k) merged++;
    if (lazy > 0 && lazy < 3 && base.length === 2 && js.calls[0] + js.calls[1] === 0) skippedMaker++;
    // The kernel itself on the cases it takes (no NaN, few labels, every map given); a NaN sort key is left to the
    // JavaScript (whose sort then orders by its own comparator's answers).
    if (withNaN && k < 64 && mergeShallowPlaneWasm(labels.slice(), k, Y, X, base, minVoxels, []) === -1) declined++;
    if (!withNaN && k < 64) {
      const out = labels.slice();
      const m = mergeShallowPlaneWasm(out, k, Y, X, base, minVoxels, []);
      assert.equal(m, js.m, `case ${it}: the kernel's objects`);
      assert.deepEqual(out, js.out, `case ${it}: the kernel's labels`);
      direct++;
    }
  }
  assert.ok(merged > 500 && direct > 1500 && skippedMaker > 50 && declined > 10, `merged ${merged}, in the kernel ${direct}, maker skipped ${skippedMaker}, NaN keys declined ${declined}`);
});

/** The voxel-by-voxel scan of merge-shallow.ts `scanBasins` (a plane), written out as the reference. */
function referenceScan(labels: Uint32Array, k: number, Y: number, X: number, maps: Float32Array[]) {
  const nc = maps.length;
  const stride = k + 1;
  const vox = new Float64Array(stride);
  const peak = new Float64Array(stride * nc).fill(-Infinity);
  const saddle = new Map<number, Float64Array>();
  const see = (a: number, b: number, i: number, j: number) => {
    const key = a < b ? a * stride + b : b * stride + a;
    let cur = saddle.get(key);
    if (!cur) {
      saddle.set(key, (cur = new Float64Array(3 * nc)));
      for (let c = 0; c < nc; c++) cur[3 * c] = -Infinity;
    }
    for (let c = 0; c < nc; c++) {
      const v = Math.min(maps[c][i], maps[c][j]);
      if (v > cur[3 * c]) cur[3 * c] = v;
      cur[3 * c + 1] += v;
      cur[3 * c + 2]++;
    }
  };
  for (let y = 0, i = 0; y < Y; y++) {
    for (let x = 0; x < X; x++, i++) {
      const a = labels[i];
      if (a === 0) continue;
      vox[a]++;
      for (let c = 0; c < nc; c++) if (maps[c][i] > peak[a * nc + c]) peak[a * nc + c] = maps[c][i];
      if (x + 1 < X && labels[i + 1] !== 0 && labels[i + 1] !== a) see(a, labels[i + 1], i, i + 1);
      if (y + 1 < Y && labels[i + X] !== 0 && labels[i + X] !== a) see(a, labels[i + X], i, i + X);
    }
  }
  return { vox, peak, pairs: [...saddle.entries()] };
}

test('basin merging\'s scan by runs (mergeScan) = the voxel-by-voxel scan (counts, peaks with −0 and NaN, pairs in first-seen order)', () => {
  const r = lcg(74);
  let pairs = 0;
  for (let it = 0; it < 1500; it++) {
    const Y = 1 + Math.floor(r() * 45);
    const X = 1 + Math.floor(r() * 45);
    const n = Y * X;
    const mask = new Uint8Array(n);
    const image = new Float32Array(n);
    const labels = new Uint32Array(n);
    const density = r();
    for (let i = 0; i < n; i++) {
      if (r() < density) mask[i] = 1; // masks touching the border too
      image[i] = Math.floor(r() * 20);
    }
    const k = 1 + Math.floor(r() * 30);
    for (let s = 1; s <= k; s++) labels[Math.floor(r() * n)] = s;
    seededWatershed(image, labels, mask, [1, Y, X]);
    const m0 = Float32Array.from({ length: n }, () => (r() < 0.05 ? -0 : r() < 0.05 ? NaN : Math.fround(r() * 100 - 20)));
    const m1 = Float32Array.from({ length: n }, () => (r() < 0.1 ? 0 : Math.fround(r() * 10)));
    const maps = r() < 0.5 ? [m0] : [m0, m1];
    const vox = new Float64Array(k + 1);
    const peak = new Float64Array((k + 1) * maps.length);
    const got = mergeScanWasm(labels, k, Y, X, maps, vox, peak);
    assert.ok(got, 'the kernel ran');
    const want = referenceScan(labels, k, Y, X, maps);
    assert.deepEqual(vox, want.vox, `case ${it}: voxel counts`);
    for (let q = 0; q < peak.length; q++) assert.ok(Object.is(peak[q], want.peak[q]), `case ${it}: peak ${q}: ${peak[q]} vs ${want.peak[q]}`);
    assert.equal(got.length, want.pairs.length, `case ${it}: pairs`);
    for (let p = 0; p < got.length; p++) {
      assert.equal(got[p][0], want.pairs[p][0], `case ${it}: pair ${p}'s key (first-seen order)`);
      for (let q = 0; q < got[p][1].length; q++) assert.ok(Object.is(got[p][1][q], want.pairs[p][1][q]), `case ${it}: pair ${p} statistic ${q}`);
    }
    pairs += got.length;
  }
  assert.ok(pairs > 5000, `pairs compared: ${pairs}`);
});
