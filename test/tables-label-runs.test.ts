/**
 * The run-based measurement pass (issue 21: one scan of the labels, `src/tables/label-runs.ts`): runs split at row
 * ends, label ids above the dense lookup table (> 2^26, up to 2^32 − 1) measure exactly like the same objects with
 * small ids, and the overlap table built from the cell runs equals the whole-volume scan (multi-ROI raster, z bounds).
 * The statistics themselves are checked against scikit-image / CellProfiler in tables-fixtures and tables-hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanLabelRuns } from '../src/tables/label-runs.js';
import { measureObjects } from '../src/tables/object-measurements.js';
import { buildDetailedOverlaps } from '../src/tables/detailed-overlaps.js';
import type { LabelVolume, RoiLabels } from '../src/core/volume.js';
import { createFullImageRoiLabels, lazyFullImageRoiLabels } from '../src/roi/full-image.js';

function blobs(shape: [number, number, number], n: number, seed: number): LabelVolume {
  const [Z, Y, X] = shape;
  const data = new Uint32Array(Z * Y * X);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let k = 1; k <= n; k++) {
    const z0 = Math.floor(rnd() * Z), y0 = Math.floor(rnd() * Y), x0 = Math.floor(rnd() * X);
    const dz = 1 + Math.floor(rnd() * 3), dy = 1 + Math.floor(rnd() * 6), dx = 1 + Math.floor(rnd() * 9);
    for (let z = z0; z < Math.min(Z, z0 + dz); z++)
      for (let y = y0; y < Math.min(Y, y0 + dy); y++) for (let x = x0; x < Math.min(X, x0 + dx); x++) data[(z * Y + y) * X + x] = k;
  }
  return { data, shape };
}

test('runs: maximal stretches of one label along x, split at row ends, zeros skipped', () => {
  // rows of 5: [0 3 3 3 3 | 3 3 0 7 7 | 7 0 0 0 0 | 1 2 2 0 5]
  const d = Uint32Array.from([0, 3, 3, 3, 3, 3, 3, 0, 7, 7, 7, 0, 0, 0, 0, 1, 2, 2, 0, 5]);
  const r = scanLabelRuns(d, 5);
  assert.equal(r.n, 7);
  assert.deepEqual(Array.from(r.start.subarray(0, r.n)), [1, 5, 8, 10, 15, 16, 19]);
  assert.deepEqual(Array.from(r.length.subarray(0, r.n)), [4, 2, 2, 1, 1, 2, 1]);
  assert.deepEqual(Array.from(r.label.subarray(0, r.n)), [3, 3, 7, 7, 1, 2, 5]);
  // many runs: the buffers grow
  const many = new Uint32Array(3000 * 4);
  for (let i = 0; i < many.length; i += 2) many[i] = 1 + (i % 7);
  assert.equal(scanLabelRuns(many, 4).n, 6000);
});

test('label ids above 2^26 measure like the same objects with small ids', () => {
  for (const shape of [[1, 40, 60], [6, 20, 30]] as [number, number, number][]) {
    const small = blobs(shape, 25, 7);
    const huge = { data: small.data.map((v) => (v === 0 ? 0 : v === 3 ? 4294967295 : 100_000_000 + v * 1_000_003)), shape };
    const intensity = { data: Float32Array.from(small.data, (_, i) => (i * 37) % 101), shape };
    const roi: RoiLabels = { data: Uint16Array.from({ length: shape[1] * shape[2] }, (_, i) => 1 + ((i % shape[2]) >> 3)), shape: [shape[1], shape[2]] };
    const a = measureObjects(small, intensity, roi, [2, 0.5, 0.5]);
    const b = measureObjects(huge, intensity, roi, [2, 0.5, 0.5]);
    // b's objects in ascending huge id = a's objects permuted
    const order = Array.from(a.ids).map((id) => (id === 3 ? 4294967295 : 100_000_000 + id * 1_000_003));
    const perm = order.map((h) => Array.from(b.ids).indexOf(h));
    assert.ok(perm.every((k) => k >= 0));
    for (const key of ['count', 'centroidZ', 'centroidY', 'centroidX', 'sumIntensity', 'medianIntensity', 'maxIntensity', 'perimeterPx', 'minRoi'] as const) {
      assert.deepEqual(perm.map((k) => b[key][k]), Array.from(a[key]), key);
    }
    for (const [key, w] of [['central2', 6], ['bbox', 6], ['faces', 3]] as const) {
      assert.deepEqual(perm.flatMap((k) => Array.from(b[key].subarray(w * k, w * k + w))), Array.from(a[key]), key);
    }
    assert.deepEqual(Array.from(b.roiVoxels), Array.from(a.roiVoxels));
    assert.deepEqual(Array.from(b.roiProjectedPx), Array.from(a.roiProjectedPx));
  }
});

test('overlap table from the cell runs equals the whole-volume scan (several ROIs, z bounds)', () => {
  const shape: [number, number, number] = [7, 30, 45];
  const cell = blobs(shape, 40, 11);
  const marker = blobs(shape, 60, 23);
  const roi: RoiLabels = { data: Uint16Array.from({ length: 30 * 45 }, (_, i) => ((i % 45) < 5 ? 0 : 1 + Math.floor((i % 45) / 15) + 3 * Math.floor(i / 45 / 12))), shape: [30, 45] };
  const runs = measureObjects(cell, null, roi, [1, 1, 1]).labelRuns!;
  for (const zb of [null, [2, 5], [0, 1], [6, 9]] as ([number, number] | null)[]) {
    const a = buildDetailedOverlaps(cell, marker, roi, zb);
    const b = buildDetailedOverlaps(cell, marker, roi, zb, undefined, runs);
    assert.ok(a.table.rowCount > 0);
    assert.deepEqual(b.table.columns.map((c) => Array.from(c.values)), a.table.columns.map((c) => Array.from(c.values)), `z bounds ${zb}`);
    assert.deepEqual(Object.values(b.groups).map((v) => Array.from(v)), Object.values(a.groups).map((v) => Array.from(v)));
  }
});

test('overlap table of a whole-image ROI from cell runs meeting marker runs equals the whole-volume scan (2D, 3D, z bounds)', () => {
  for (const shape of [[1, 64, 80], [6, 30, 45]] as [number, number, number][]) {
    const cell = blobs(shape, 40, 5);
    const marker = blobs(shape, 90, 7); // dense: marker runs cross cell-run ends and span neighbouring cells
    const lazy = lazyFullImageRoiLabels([shape[1], shape[2]]); // index known: the uniform-ROI paths
    const eager = createFullImageRoiLabels([shape[1], shape[2]]); // an ordinary raster: the per-voxel scan
    const cellRuns = measureObjects(cell, null, lazy, [1, 1, 1]).labelRuns!;
    const markerRuns = measureObjects(marker, null, lazy, [1, 1, 1]).labelRuns!;
    for (const zb of [null, [2, 5], [0, 1], [5, 9]] as ([number, number] | null)[]) {
      const a = buildDetailedOverlaps(cell, marker, eager, zb);
      const b = buildDetailedOverlaps(cell, marker, lazy, zb, undefined, cellRuns, markerRuns);
      if (!zb) assert.ok(a.table.columns[4].values.some((m) => m > 0), 'some cells overlap markers');
      assert.deepEqual(b.table.columns.map((c) => Array.from(c.values)), a.table.columns.map((c) => Array.from(c.values)), `${shape} z bounds ${zb}`);
      assert.deepEqual(Object.values(b.groups).map((v) => Array.from(v)), Object.values(a.groups).map((v) => Array.from(v)));
    }
  }
});

/**
 * skimage.measure.perimeter(mask, neighborhood=4) of one object, written from its definition (skimage 0.19
 * `_regionprops_utils.perimeter`): border = object minus its erosion by the 4-cross (outside the image = background),
 * codes = border convolved with [[10, 2, 10], [2, 1, 2], [10, 2, 10]], summed with the weights of codes 5, 7, 15, 17,
 * 25, 27 (1), 21, 33 (√2) and 13, 23 ((1 + √2) / 2).
 */
function brutePerimeter(data: ArrayLike<number>, Y: number, X: number, l: number): number {
  const inObj = (y: number, x: number) => y >= 0 && y < Y && x >= 0 && x < X && data[y * X + x] === l;
  const isBorder = (y: number, x: number) =>
    inObj(y, x) && !(inObj(y - 1, x) && inObj(y + 1, x) && inObj(y, x - 1) && inObj(y, x + 1));
  const w = new Map<number, number>([[5, 1], [7, 1], [15, 1], [17, 1], [25, 1], [27, 1], [21, Math.SQRT2], [33, Math.SQRT2], [13, (1 + Math.SQRT2) / 2], [23, (1 + Math.SQRT2) / 2]]);
  let p = 0;
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      if (!isBorder(y, x)) continue;
      let code = 1;
      for (const [dy, dx, c] of [[-1, 0, 2], [1, 0, 2], [0, -1, 2], [0, 1, 2], [-1, -1, 10], [-1, 1, 10], [1, -1, 10], [1, 1, 10]]) {
        if (isBorder(y + dy, x + dx)) code += c;
      }
      p += w.get(code) ?? 0;
    }
  }
  return p;
}

test('2D perimeters from the border found run by run equal skimage perimeter(neighborhood=4) written from its definition', () => {
  for (const [shape, n, seed] of [[[1, 40, 60], 40, 3], [[1, 33, 47], 90, 9], [[1, 1, 30], 6, 4], [[1, 25, 1], 5, 8]] as [[number, number, number], number, number][]) {
    const v = blobs(shape, n, seed); // later rectangles overwrite earlier ones: concave objects, several runs per row
    const m = measureObjects(v, null, null, [1, 1, 1]);
    for (let k = 0; k < m.ids.length; k++) {
      const expected = brutePerimeter(v.data, shape[1], shape[2], m.ids[k]);
      assert.ok(Math.abs(m.perimeterPx[k] - expected) < 1e-9, `${shape} label ${m.ids[k]}: ${m.perimeterPx[k]} vs ${expected}`);
    }
  }
});

test('runs from run-length labelling equal the scan of the painted labels; the size filter keeps them equal to a scan of its result', async () => {
  const { packMask } = await import('../src/segmentation/bitmask.js');
  const { labelBitMask } = await import('../src/segmentation/label.js');
  const { filterLabelsBySize } = await import('../src/segmentation/size-filter.js');
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  // widths around the 32-bit word boundaries of the packed mask; 2D and 3D; sparse and dense
  for (const shape of [[1, 23, 31], [1, 40, 64], [1, 17, 97], [4, 19, 33]] as [number, number, number][]) {
    for (const density of [0.2, 0.55]) {
      const n = shape[0] * shape[1] * shape[2];
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) mask[i] = rnd() < density ? 1 : 0;
      const r = labelBitMask(packMask(mask, shape), 'full');
      const scanned = scanLabelRuns(r.labels, shape[2]);
      const runs = r.labelRuns;
      assert.equal(runs.n, scanned.n, `${shape} ${density}`);
      assert.deepEqual(Array.from(runs.start), Array.from(scanned.start.subarray(0, scanned.n)));
      assert.deepEqual(Array.from(runs.length), Array.from(scanned.length.subarray(0, scanned.n)));
      assert.deepEqual(Array.from(runs.label), Array.from(scanned.label.subarray(0, scanned.n)));
      // the size filter with runs: same labels as without, and runs equal to a scan of them (min size: one more
      // than the smallest object, so that at least that one goes)
      const minSize = 1 + Math.min(...Array.from(r.counts.subarray(1)));
      const plain = filterLabelsBySize({ data: r.labels.slice(), shape }, minSize, { counts: r.counts });
      const withRuns = filterLabelsBySize({ data: r.labels, shape }, minSize, { counts: r.counts, runs, inPlace: true });
      assert.ok(plain.removed.length > 0, 'some labels removed');
      assert.deepEqual(withRuns.removed, plain.removed);
      assert.deepEqual(Array.from(withRuns.labels.data), Array.from(plain.labels.data));
      const after = scanLabelRuns(withRuns.labels.data, shape[2]);
      assert.deepEqual(Array.from(withRuns.runs!.start), Array.from(after.start.subarray(0, after.n)));
      assert.deepEqual(Array.from(withRuns.runs!.label), Array.from(after.label.subarray(0, after.n)));
      assert.deepEqual(Array.from(withRuns.runs!.length), Array.from(after.length.subarray(0, after.n)));
    }
  }
});
