/**
 * Declumping's WebAssembly kernels (segmentation/kernels/declump-wasm.ts) give the same bits as the JavaScript
 * loops they replace, which test/declump-smoothing.test.ts checks against a direct sum of CellProfiler's
 * smoothing kernel: the plane smoothing without a mask, over random planes (1–40 rows and columns: every
 * remainder of the four- and two-voxel steps), kernel sizes, anisotropic pixels, edge correction or zeros
 * outside, with and without the voxels that are needed only; the integer distance transform of unit-pixel planes
 * (test/declump-distance-int.test.ts checks the JavaScript against the general passes, and those against SciPy)
 * on random masks, ellipses cut by the plane's edges, pinholes and planes without background; the watershed's
 * flood of planes with an empty border (test/declump-watershed-ranks.test.ts checks the JavaScript against a
 * plain priority queue) with many ties, unreachable voxels and markers outside the mask; the seeds' search
 * (`peakLocalMax`, checked against scikit-image in segmentation-declump.test.ts) on planes of several regions
 * with plateaus, zeros and negative values; basin merging's scan (merged labels, with 'max' and 'mean' saddles, one
 * or two maps, fragments, more labels than the kernel's table holds); the watershed of negated integer intensities
 * (ranks and flood together: wide ranges, fractions, negative values, −0, +∞, masks touching the border); the
 * convex hull's pixel count of each component (test/declump-convex.test.ts checks it against scikit-image); the
 * whole-image passes over the runs (`componentRunStats`' boxes, voxels, runs and hole-free flags, `componentRunIndex`)
 * on random 2-D and 3-D masks, with and without the per-run touching pairs, and past the kernels' run limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskedSmooth } from '../src/segmentation/kernels/masked-smooth.js';
import { unitPlaneDistanceTransform } from '../src/segmentation/kernels/distance-transform-int.js';
import { seededWatershed, seededWatershedOfNegated } from '../src/segmentation/kernels/watershed.js';
import { peakLocalMax } from '../src/segmentation/kernels/peaks.js';
import { mergeShallowBasins, type SaddleCriterion } from '../src/segmentation/declump/merge-shallow.js';
import { componentRunIndex, hullPixelsIndexed } from '../src/segmentation/declump/convex-hull.js';
import { findRuns, resolveComponents } from '../src/segmentation/runs.js';
import { componentRunIndexWasm, componentRunStatsWasm, faceConnectedWasm, floodInteriorPlaneWasm } from '../src/segmentation/kernels/declump-wasm.js';
import { smoothPlaneNeededWasm } from '../src/segmentation/kernels/declump-wasm-peaks.js';
import { componentRunStats, faceConnectedRuns } from '../src/segmentation/declump/component-runs.js';
import { lcg, withEngine } from './helpers/declump-engines.js';

test('the WebAssembly smoothing runs here (Node 20 has SIMD) and declines what does not fit its memory', () => {
  const v = new Float32Array(12).fill(1);
  const k = new Float64Array([0.5, 1, 0.5]);
  assert.equal(withEngine('wasm', () => smoothPlaneNeededWasm(v, 3, 4, k, k, false, null, new Float32Array(12))), true);
  assert.equal(withEngine('js', () => smoothPlaneNeededWasm(v, 3, 4, k, k, false, null, new Float32Array(12))), false);
  const big = new Float32Array(257 * 256);
  assert.equal(smoothPlaneNeededWasm(big, 257, 256, k, k, false, null, new Float32Array(big.length)), false);
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

test('integer distance transform: WebAssembly = JavaScript bit for bit (distances, and ranks where JavaScript writes them)', () => {
  const r = lcg(11);
  let declined = 0;
  for (let it = 0; it < 1500; it++) {
    // Every 8th plane tall enough for column distances far above the windowed minimum's limit (60): rows of both
    // kinds (window, envelope) in one plane.
    const Y = 1 + Math.floor(r() * (it % 8 === 7 ? 260 : 60));
    const X = 1 + Math.floor(r() * 70);
    const n = Y * X;
    const mask = new Uint8Array(n);
    const kind = it % 4;
    if (kind === 0) {
      for (let i = 0; i < n; i++) mask[i] = r() < 0.8 ? 1 : 0; // rows and columns without background
    } else {
      // an ellipse, possibly cut by the plane's edges, with pinholes for kind 3
      const [cy, cx, ry, rx] = [r() * Y, r() * X, 1 + r() * Y, 1 + r() * X];
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) mask[y * X + x] = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 < 1 && (kind !== 3 || r() < 0.97) ? 1 : 0;
    }
    if (it % 97 === 0) mask.fill(1); // no background: both decline
    const withRanks = r() < 0.7;
    const UNSET = -12345;
    const o1 = new Float32Array(n).fill(5);
    const r1 = new Int32Array(n).fill(UNSET);
    const a = withEngine('js', () => unitPlaneDistanceTransform(mask, Y, X, o1, withRanks ? r1 : null));
    const o2 = new Float32Array(n).fill(6);
    const r2 = new Int32Array(n).fill(-999);
    const b = withEngine('wasm', () => unitPlaneDistanceTransform(mask, Y, X, o2, withRanks ? r2 : null));
    assert.equal(b, a, `case ${it}: returned ${b}, JavaScript ${a}`);
    if (!a) {
      declined++;
      continue;
    }
    for (let i = 0; i < n; i++) {
      assert.ok(Object.is(o1[i], o2[i]), `case ${it} (${Y}×${X}) voxel ${i}: ${o1[i]} vs ${o2[i]}`);
      if (r1[i] !== UNSET) assert.equal(r2[i], r1[i], `case ${it} rank ${i}`);
    }
  }
  assert.ok(declined >= 15, `planes without background seen: ${declined}`);
});

test('watershed flood of an interior plane: WebAssembly = JavaScript (ties, unreachable voxels, markers outside the mask)', () => {
  const r = lcg(3);
  const probe = new Uint32Array(9);
  probe[4] = 1;
  assert.equal(floodInteriorPlaneWasm(new Int32Array(9), 1, probe, Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]), 3, 9), true);
  for (let it = 0; it < 1500; it++) {
    const Y = 3 + Math.floor(r() * 50);
    const X = 3 + Math.floor(r() * 50);
    const n = Y * X;
    const mask = new Uint8Array(n);
    const image = new Float32Array(n);
    const markers = new Uint32Array(n);
    for (let y = 1; y < Y - 1; y++) for (let x = 1; x < X - 1; x++) if (r() < 0.9) mask[y * X + x] = 1;
    const levels = 1 + Math.floor(r() * 30); // few levels: many ties, flooded in queue order
    for (let i = 0; i < n; i++) image[i] = Math.floor(r() * levels);
    const seeds = 1 + Math.floor(r() * 6);
    for (let k = 1; k <= seeds; k++) markers[Math.floor(r() * n)] = k;
    const js = markers.slice();
    withEngine('js', () => seededWatershed(image, js, mask, [1, Y, X]));
    const wasm = markers.slice();
    withEngine('wasm', () => seededWatershed(image, wasm, mask, [1, Y, X]));
    assert.deepEqual(wasm, js, `case ${it} (${Y}×${X}, ${seeds} seeds, ${levels} levels)`);
  }
});

test('watershed flood: a marker id 0xffffffff (the kernel\'s outside-the-mask mark) is left to the JavaScript, same labels', () => {
  const Y = 12;
  const X = 14;
  const n = Y * X;
  const mask = new Uint8Array(n);
  for (let y = 1; y < Y - 1; y++) for (let x = 1; x < X - 1; x++) mask[y * X + x] = 1;
  const image = Float32Array.from({ length: n }, (_, i) => (i * 7) % 5);
  const markers = new Uint32Array(n);
  markers[2 * X + 3] = 0xffffffff;
  markers[9 * X + 10] = 2;
  const probe = markers.slice();
  // The kernel itself declines (labels in the caller's array untouched) …
  assert.equal(floodInteriorPlaneWasm(new Int32Array(n), 1, probe, mask, X, n), false);
  assert.deepEqual(probe, markers);
  // … and the flood is the JavaScript's, with both ids spread.
  const js = markers.slice();
  withEngine('js', () => seededWatershed(image, js, mask, [1, Y, X]));
  const wasm = markers.slice();
  withEngine('wasm', () => seededWatershed(image, wasm, mask, [1, Y, X]));
  assert.deepEqual(wasm, js);
  assert.ok(js.includes(0xffffffff) && js.includes(2));
});

test('local maxima of a plane: WebAssembly candidates = JavaScript (regions, plateaus, values <= 0, thin planes)', () => {
  const r = lcg(8);
  let peaks = 0;
  for (let it = 0; it < 1500; it++) {
    const Y = 1 + Math.floor(r() * 45);
    const X = 1 + Math.floor(r() * 45);
    const n = Y * X;
    const regions = new Uint32Array(n);
    const values = new Float32Array(n);
    const nRegions = 1 + Math.floor(r() * 3);
    const levels = r() < 0.5 ? 5 : 1000;
    for (let i = 0; i < n; i++) {
      regions[i] = r() < 0.85 ? 1 + Math.floor(r() * nRegions) : 0;
      values[i] = Math.floor(r() * levels) - (r() < 0.1 ? levels : 0);
    }
    const options = { minDistance: 0.5 + r() * 6, spacing: [1, 1, 1] as [number, number, number], seedEveryRegion: r() < 0.7 };
    const js = withEngine('js', () => peakLocalMax(values, regions, [1, Y, X], options));
    const wasm = withEngine('wasm', () => peakLocalMax(values, regions, [1, Y, X], options));
    assert.deepEqual(wasm, js, `case ${it} (${Y}×${X})`);
    peaks += js.length;
  }
  assert.ok(peaks > 10000, `peaks found: ${peaks}`);
});

/**
 * A random plane of flooded basins for the basin-merging tests: a mask of ~95 % of the interior, an integer image,
 * `seedCount()` seeds at random voxels, flooded by the seeded watershed.
 */
function randomBasins(r: () => number, seedCount: () => number): { Y: number; X: number; n: number; labels: Uint32Array; k: number } {
  const Y = 3 + Math.floor(r() * 40);
  const X = 3 + Math.floor(r() * 40);
  const n = Y * X;
  const mask = new Uint8Array(n);
  const image = new Float32Array(n);
  const labels = new Uint32Array(n);
  for (let y = 1; y < Y - 1; y++) for (let x = 1; x < X - 1; x++) if (r() < 0.95) mask[y * X + x] = 1;
  for (let i = 0; i < n; i++) image[i] = Math.floor(r() * 20);
  const k = seedCount();
  for (let s = 1; s <= k; s++) labels[Math.floor(r() * n)] = s;
  seededWatershed(image, labels, mask, [1, Y, X]);
  return { Y, X, n, labels, k };
}

test('basin merging: the WebAssembly scan gives the JavaScript merges (one or two maps, max and mean saddles, fragments)', () => {
  const r = lcg(21);
  let merged = 0;
  for (let it = 0; it < 1200; it++) {
    // over 63 labels: the JavaScript scan
    const { Y, X, n, labels, k } = randomBasins(r, () => 1 + Math.floor(r() * (it % 10 === 0 ? 70 : 8)));
    const m0 = Float32Array.from({ length: n }, () => (r() < 0.05 ? -0 : Math.fround(r() * 100)));
    const m1 = Float32Array.from({ length: n }, () => Math.floor(r() * 10));
    const criteria: SaddleCriterion[] = [
      { map: m0, h: r() * 0.5, relative: true, saddle: r() < 0.5 ? 'mean' : 'max' },
      { map: m1, h: r() * 5, relative: false },
    ].slice(0, 1 + Math.floor(r() * 2)) as SaddleCriterion[];
    const minVoxels = r() < 0.5 ? 0 : r() * 100;
    const js = labels.slice();
    const kJs = withEngine('js', () => mergeShallowBasins(js, k, [1, Y, X], criteria, minVoxels));
    const wasm = labels.slice();
    const kWasm = withEngine('wasm', () => mergeShallowBasins(wasm, k, [1, Y, X], criteria, minVoxels));
    assert.equal(kWasm, kJs, `case ${it}: objects`);
    assert.deepEqual(wasm, js, `case ${it}: labels`);
    if (kJs < k) merged++;
  }
  assert.ok(merged > 500, `cases with merges: ${merged}`);
});

test('basin merging with a map made on demand: the same merges as with every map given, the map made only when needed', () => {
  const r = lcg(33);
  let skipped = 0;
  let made = 0;
  let merged = 0;
  for (let it = 0; it < 800; it++) {
    const { Y, X, n, labels, k } = randomBasins(r, () => 2 + Math.floor(r() * 8));
    const m0 = Float32Array.from({ length: n }, () => Math.fround(r() * 100));
    const m1 = Float32Array.from({ length: n }, () => Math.floor(r() * 10));
    // Depths from shallow everywhere to deep everywhere, so that both outcomes of the early test occur.
    const criteria: SaddleCriterion[] = [
      { map: m0, h: r() * 1.2, relative: true, saddle: r() < 0.5 ? 'mean' : 'max' },
      { map: m1, h: r() * 12, relative: false },
    ];
    const minVoxels = r() < 0.7 ? 0 : r() * 60;
    const eager = labels.slice();
    const kEager = mergeShallowBasins(eager, k, [1, Y, X], criteria, minVoxels);
    const lazyIndex = it % 2; // the intensity map (shape) or the distance map (intensity) made on demand
    let calls = 0;
    const lazy = labels.slice();
    const lazyCriteria = criteria.map((cr, c) => (c === lazyIndex ? { ...cr, map: () => (calls++, cr.map as Float32Array) } : cr));
    const kLazy = mergeShallowBasins(lazy, k, [1, Y, X], lazyCriteria, minVoxels);
    assert.equal(kLazy, kEager, `case ${it}: objects`);
    assert.deepEqual(lazy, eager, `case ${it}: labels`);
    assert.ok(calls <= 1, 'made at most once');
    if (calls === 0) {
      skipped++;
      assert.equal(kEager, k, `case ${it}: the map was skipped, so nothing may merge`);
    } else made++;
    if (kEager < k) merged++;
  }
  assert.ok(skipped > 100 && made > 100 && merged > 100, `skipped ${skipped}, made ${made}, merged ${merged}`);
});

test('watershed of negated integer values: WebAssembly ranks and flood = JavaScript (and its fallbacks)', () => {
  const r = lcg(4);
  for (let it = 0; it < 1500; it++) {
    const Y = 1 + Math.floor(r() * 50);
    const X = 1 + Math.floor(r() * 50);
    const n = Y * X;
    const mask = new Uint8Array(n);
    const image = new Float32Array(n);
    const markers = new Uint32Array(n);
    const emptyBorder = r() < 0.8; // else the general flood
    for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) if ((!emptyBorder || (y > 0 && x > 0 && y < Y - 1 && x < X - 1)) && r() < 0.9) mask[y * X + x] = 1;
    const kind = it % 5; // 0: range wider than the box, 1: fractions, 2: negative values, 3: −0 and +0, 4: +∞
    const levels = kind === 0 ? 3 * n : 1 + Math.floor(r() * 300);
    for (let i = 0; i < n; i++) image[i] = kind === 1 ? r() * levels : Math.floor(r() * levels) - (kind === 2 ? levels / 2 : 0);
    if (kind === 3 && n > 2) [image[1], image[2]] = [-0, 0];
    if (kind === 4 && n > 2 && r() < 0.3) image[Math.floor(r() * n)] = Infinity;
    const seeds = 1 + Math.floor(r() * 6);
    for (let k = 1; k <= seeds; k++) markers[Math.floor(r() * n)] = k;
    const js = markers.slice();
    withEngine('js', () => seededWatershedOfNegated(image, js, mask, [1, Y, X]));
    const wasm = markers.slice();
    withEngine('wasm', () => seededWatershedOfNegated(image, wasm, mask, [1, Y, X]));
    assert.deepEqual(wasm, js, `case ${it} (kind ${kind}, ${Y}×${X})`);
  }
});

test('convex hull pixels of components: WebAssembly = JavaScript (random blobs, lines, single pixels)', () => {
  const r = lcg(31);
  let checked = 0;
  for (let it = 0; it < 200; it++) {
    const Y = 1 + Math.floor(r() * 60);
    const X = 1 + Math.floor(r() * 60);
    const mask = new Uint8Array(Y * X);
    for (let b = 0; b < 1 + Math.floor(r() * 6); b++) {
      const [cy, cx, ry, rx] = [r() * Y, r() * X, 0.5 + r() * 12, 0.5 + r() * 12];
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 < 1 && r() < 0.97) mask[y * X + x] = 1;
    }
    const runs = findRuns(mask, [1, Y, X], 1);
    const count = resolveComponents(runs, [1, Y, X], 'full');
    const index = withEngine('wasm', () => componentRunIndex(runs, count, Y));
    assert.ok(index.wasmRuns >= 0, 'the runs were copied for WebAssembly');
    const rowsOf = new Int32Array(count + 1);
    const top = new Int32Array(count + 1).fill(Y);
    for (let y = 0; y < Y; y++) for (let k = runs.rowStart[y]; k < runs.rowStart[y + 1]; k++) {
      const c = runs.comp[k];
      top[c] = Math.min(top[c], y);
      rowsOf[c] = y + 1 - top[c];
    }
    for (let c = 1; c <= count; c++) {
      const js = withEngine('js', () => hullPixelsIndexed(runs, index, c, rowsOf[c]));
      const wasm = withEngine('wasm', () => hullPixelsIndexed(runs, index, c, rowsOf[c]));
      assert.equal(wasm, js, `case ${it} component ${c}`);
      checked++;
    }
  }
  assert.ok(checked > 300, `components checked: ${checked}`);
});

test('whole-image run passes: WebAssembly boxes, voxels, runs, hole-free flags and run index = JavaScript', () => {
  const rand = lcg(23);
  let ran = 0;
  let faces = 0;
  let nonChain = 0;
  for (let t = 0; t < 40; t++) {
    const Z = t % 4 === 3 ? 1 + Math.floor(rand() * 6) : 1;
    const Y = 1 + Math.floor(rand() * 70);
    const X = 1 + Math.floor(rand() * 70);
    const density = 0.2 + 0.6 * rand();
    // Blobs and noise: components with holes, diagonal contacts, one-voxel runs, runs on every edge.
    const mask = new Uint8Array(Z * Y * X);
    for (let i = 0; i < mask.length; i++) mask[i] = rand() < density ? 1 : 0;
    const shape = [Z, Y, X] as [number, number, number];
    const runs = findRuns(mask, shape, 1);
    const rowPairs = Z === 1 ? new Int32Array(runs.count) : null;
    const count = resolveComponents(runs, shape, 'full', rowPairs);
    for (const need of [{}, { rowPairs }, { holes: false }, { faceConnected: false, rowPairs }]) {
      const js = withEngine('js', () => componentRunStats(runs, shape, count, need));
      const wasm = componentRunStats(runs, shape, count, need);
      assert.deepEqual(wasm, js, `stats ${t} ${JSON.stringify(Object.keys(need))}`);
    }
    if (componentRunStatsWasm(runs, shape, count, rowPairs) !== null) ran++;
    const js = withEngine('js', () => componentRunIndex(runs, count, Z * Y));
    const wasm = componentRunIndex(runs, count, Z * Y);
    assert.deepEqual([wasm.runStart, wasm.runsOf, wasm.rowOf], [js.runStart, js.runsOf, js.rowOf], `index ${t}`);
    assert.ok(wasm.wasmRuns >= 0);
    const face = componentRunStats(runs, shape, count).faceConnected;
    // (Per-component connectivity and the hull are plane tools: rows of a plane.)
    for (let c = 1; c <= count && Z === 1; c++) {
      assert.equal(hullPixelsIndexed(runs, wasm, c, Y), withEngine('js', () => hullPixelsIndexed(runs, js, c, Y)));
      // Face connectivity from the component's own runs (WebAssembly) = the image-wide union-find's (JavaScript).
      const own = faceConnectedRuns(runs, wasm.runsOf, wasm.rowOf, wasm.runStart[c], wasm.runStart[c + 1], wasm.wasmRuns);
      assert.equal(own, face[c] === 1, `face ${t} ${c}`);
      assert.equal(faceConnectedWasm(wasm.wasmRuns, wasm.runStart[c], wasm.runStart[c + 1]), face[c], 'the kernel answered');
      assert.equal(own, faceConnectedRuns(runs, js.runsOf, js.rowOf, js.runStart[c], js.runStart[c + 1]));
    }
    if (Z > 1) continue;
    faces += count;
    nonChain += face.subarray(1).filter((f) => f === 0).length;
  }
  assert.equal(ran, 40);
  assert.ok(faces > 1000 && nonChain > 50, `${faces} components, ${nonChain} not face-connected`);
  // More runs than the kernels' arrays hold (65 536): they decline, the JavaScript gives the answer.
  const Y = 300;
  const X = 500;
  const mask = new Uint8Array(Y * X);
  for (let i = 0; i < mask.length; i += 2) mask[i] = 1;
  const runs = findRuns(mask, [1, Y, X], 1);
  const rowPairs = new Int32Array(runs.count);
  const count = resolveComponents(runs, [1, Y, X], 'full', rowPairs);
  assert.ok(runs.count > 1 << 16);
  assert.equal(componentRunStatsWasm(runs, [1, Y, X], count, rowPairs), null);
  assert.equal(componentRunIndexWasm(runs, new Int32Array(count + 2), count, Y), null);
  assert.deepEqual(componentRunStats(runs, [1, Y, X], count, { rowPairs }), withEngine('js', () => componentRunStats(runs, [1, Y, X], count, { rowPairs })));
});
