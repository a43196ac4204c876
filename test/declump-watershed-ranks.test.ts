/**
 * `seededWatershed(..., fewValues = true)` ranks the image through a hash table of its distinct values
 * (`rankFewValues`) instead of the radix sort: the flooding order, and so the labels, must be the same to the
 * voxel — on maps with few distinct values (negated distances, signed values, −0 beside +0), and on maps with too
 * many, where it falls back to the radix sort. (The radix path itself is checked against scikit-image in
 * segmentation-declump.test.ts.) `seededWatershedOfDistance` (integer squared distances as ranks) must give the radix
 * sort's labels of the negated distance map, and fall back where its premises do not hold; integer-valued images
 * (ranked by value − min) must flood as a plain (value, age) priority queue does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededWatershed, seededWatershedOfNegated } from '../src/segmentation/kernels/watershed.js';
import { seededWatershedOfDistance } from '../src/segmentation/kernels/watershed-distance.js';
import { distanceTransform } from '../src/segmentation/kernels/distance-transform.js';
import { unitPlaneDistanceTransform } from '../src/segmentation/kernels/distance-transform-int.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function flood(image: Float32Array, markers: Uint32Array, mask: Uint8Array, shape: [number, number, number], few: boolean): Uint32Array {
  const labels = markers.slice();
  seededWatershed(image, labels, mask, shape, few);
  return labels;
}

const cases: [string, (r: () => number) => number][] = [
  ['negated square roots of small integers', (r) => -Math.sqrt(Math.floor(r() * 200))],
  ['signed values with -0 and +0', (r) => [-0, 0, -1.5, 2, 3.25, -7][Math.floor(r() * 6)]],
  ['many distinct values (falls back)', (r) => r() * 1000],
];
for (const [name, value] of cases) {
  test(`hash ranks give the radix sort's labels: ${name}`, () => {
    for (let trial = 0; trial < 20; trial++) {
      const r = lcg(trial * 7919 + name.length);
      const shape: [number, number, number] = trial % 4 === 3 ? [4, 9, 11] : [1, 17 + (trial % 5), 23];
      const n = shape[0] * shape[1] * shape[2];
      const image = new Float32Array(n);
      const mask = new Uint8Array(n);
      const markers = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        image[i] = value(r);
        mask[i] = r() < 0.85 ? 1 : 0;
        if (r() < 0.03) markers[i] = 1 + Math.floor(r() * 4);
      }
      assert.deepEqual(flood(image, markers, mask, shape, true), flood(image, markers, mask, shape, false), `trial ${trial}`);
    }
  });
}

/** Touching random disks (balls) on a background margin, or cut by the box's edge when `clip`. */
function blobMask(r: () => number, shape: [number, number, number], clip: boolean): Uint8Array {
  const [Z, Y, X] = shape;
  const mask = new Uint8Array(Z * Y * X);
  const m = clip ? 0 : 1;
  for (let b = 0; b < 4; b++) {
    const cz = r() * Z;
    const cy = r() * Y;
    const cx = r() * X;
    const rad = 3 + r() * 6;
    for (let z = 0, i = 0; z < Z; z++) {
      for (let y = 0; y < Y; y++) {
        for (let x = 0; x < X; x++, i++) {
          const inside = y >= m && y < Y - m && x >= m && x < X - m && (Z === 1 || (z >= m && z < Z - m));
          if (inside && (z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= rad * rad) mask[i] = 1;
        }
      }
    }
  }
  return mask;
}

test('the watershed of a negated distance map ranked by integer squares gives the radix sort\'s labels', () => {
  // Square pixels of several sizes (the integer ranking), anisotropic pixels and stacks (the fallback), masks cut
  // by the box's edge (the fallback), a smoothed map (not a distance map: the fallback).
  const spacings: [number, number, number][] = [[1, 1, 1], [1, 0.65, 0.65], [1, 0.1, 0.1], [1, 3, 3], [1, 0.5, 0.7], [2, 0.5, 0.5]];
  let trials = 0;
  for (const spacing of spacings) {
    for (let trial = 0; trial < 12; trial++) {
      const r = lcg(trial * 104729 + spacing[1] * 1000 + spacing[0]);
      const shape: [number, number, number] = spacing[0] === 2 ? [7, 18, 20] : [1, 30 + (trial % 7), 41];
      const mask = blobMask(r, shape, trial % 4 === 3);
      const n = mask.length;
      const dist = distanceTransform(mask, shape, spacing);
      if (trial % 6 === 5) for (let i = 0; i < n; i++) dist[i] = Math.fround(dist[i] * 1.0001);
      const markers = new Uint32Array(n);
      for (let i = 0; i < n; i++) if (mask[i] && r() < 0.01) markers[i] = 1 + Math.floor(r() * 3);
      const negated = new Float32Array(n);
      for (let i = 0; i < n; i++) negated[i] = -dist[i];
      const expected = flood(negated, markers, mask, shape, false);
      const got = markers.slice();
      seededWatershedOfDistance(dist, got, mask, shape, spacing[1] === spacing[2] ? spacing[2] ** 2 : 0);
      assert.deepEqual(got, expected, `spacing ${spacing}, trial ${trial}`);
      if (shape[0] === 1 && spacing[1] === 1 && spacing[2] === 1 && trial % 6 !== 5) {
        // The integer transform's own ranks (declumping's path for unit pixels).
        const ranks = new Int32Array(n);
        const own = new Float32Array(n);
        assert.ok(unitPlaneDistanceTransform(mask, shape[1], shape[2], own, ranks));
        assert.deepEqual(own, dist);
        const withRanks = markers.slice();
        seededWatershedOfDistance(own, withRanks, mask, shape, 1, ranks);
        assert.deepEqual(withRanks, expected, `ranks from the transform, trial ${trial}`);
      }
      trials++;
    }
  }
  assert.equal(trials, 72);
});

/**
 * skimage's flooding order written out plainly, as an independent reference: a priority queue of (value, age),
 * every unlabelled in-mask 8/26-neighbour of a popped voxel takes its label when queued.
 */
function referenceWatershed(image: Float32Array, markers: Uint32Array, mask: Uint8Array, shape: [number, number, number]): Uint32Array {
  const [Z, Y, X] = shape;
  const labels = markers.slice();
  const queue: [number, number, number][] = []; // value, age, voxel
  let age = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 0) continue;
    if (!mask[i]) labels[i] = 0;
    else queue.push([image[i] === 0 ? 0 : image[i], age++, i]);
  }
  while (queue.length > 0) {
    let best = 0;
    for (let q = 1; q < queue.length; q++) if (queue[q][0] < queue[best][0] || (queue[q][0] === queue[best][0] && queue[q][1] < queue[best][1])) best = q;
    const [, , i] = queue.splice(best, 1)[0];
    const z = Math.floor(i / (Y * X));
    const y = Math.floor((i - z * Y * X) / X);
    const x = i - z * Y * X - y * X;
    for (let dz = -1; dz <= 1; dz++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const zz = z + dz, yy = y + dy, xx = x + dx;
          if (zz < 0 || zz >= Z || yy < 0 || yy >= Y || xx < 0 || xx >= X) continue;
          const j = (zz * Y + yy) * X + xx;
          if (labels[j] !== 0 || !mask[j]) continue;
          labels[j] = labels[i];
          queue.push([image[j] === 0 ? 0 : image[j], age++, j]);
        }
      }
    }
  }
  return labels;
}

test('integer-valued images (ranked by value − min) flood as the (value, age) priority queue does', () => {
  // Narrow ranges (the integer ranking, with buckets of absent values), -0 beside +0, a range wider than the box
  // (the radix sort), on planes with and without a background margin and on a stack.
  const ranges: [string, (r: () => number) => number][] = [
    ['narrow', (r) => -Math.floor(r() * 40)],
    ['sparse', (r) => Math.floor(r() * 8) * 9 - 30],
    ['-0 and +0', (r) => [-0, 0, 1, -1][Math.floor(r() * 4)]],
    ['wider than the box', (r) => Math.floor(r() * 1e6)],
  ];
  for (const [name, value] of ranges) {
    for (let trial = 0; trial < 8; trial++) {
      const r = lcg(trial * 31 + name.length * 1000);
      const shape: [number, number, number] = trial % 4 === 3 ? [3, 8, 9] : [1, 14 + trial, 19];
      const [Z, Y, X] = shape;
      const n = Z * Y * X;
      const image = new Float32Array(n);
      const mask = new Uint8Array(n);
      const markers = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const y = Math.floor(i / X) % Y;
        const x = i % X;
        const margin = trial % 2 === 0 && Z === 1 && (y === 0 || y === Y - 1 || x === 0 || x === X - 1);
        image[i] = value(r);
        mask[i] = !margin && r() < 0.85 ? 1 : 0;
        if (r() < 0.04) markers[i] = 1 + Math.floor(r() * 3);
      }
      assert.deepEqual(flood(image, markers, mask, shape, false), referenceWatershed(image, markers, mask, shape), `${name}, trial ${trial}`);
    }
  }
});

test('the watershed of a negated image (integer values ranked max − v without a negated copy) = that of the negated copy', () => {
  for (const [name, value] of [['integers', (r: () => number) => Math.floor(r() * 50)], ['-0 and +0', (r: () => number) => [-0, 0, 3][Math.floor(r() * 3)]], ['fractions (the copy)', (r: () => number) => r() * 9]] as [string, (r: () => number) => number][]) {
    for (let trial = 0; trial < 8; trial++) {
      const r = lcg(trial * 13 + name.length * 7);
      const shape: [number, number, number] = trial % 4 === 3 ? [3, 8, 9] : [1, 15 + trial, 18];
      const n = shape[0] * shape[1] * shape[2];
      const image = new Float32Array(n);
      const mask = new Uint8Array(n);
      const markers = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        image[i] = value(r);
        mask[i] = r() < 0.85 ? 1 : 0;
        if (r() < 0.04) markers[i] = 1 + Math.floor(r() * 3);
      }
      const negated = Float32Array.from(image, (v) => -v);
      const got = markers.slice();
      seededWatershedOfNegated(image, got, mask, shape);
      assert.deepEqual(got, referenceWatershed(negated, markers, mask, shape), `${name}, trial ${trial}`);
    }
  }
});
