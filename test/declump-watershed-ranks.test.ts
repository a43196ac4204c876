/**
 * `seededWatershed(..., fewValues = true)` ranks the image through a hash table of its distinct values
 * (`rankFewValues`) instead of the radix sort: the flooding order, and so the labels, must be the same to the
 * voxel — on maps with few distinct values (negated distances, signed values, −0 beside +0), and on maps with too
 * many, where it falls back to the radix sort. (The radix path itself is checked against scikit-image in
 * segmentation-declump.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededWatershed } from '../src/segmentation/kernels/watershed.js';

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
