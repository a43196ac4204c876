/**
 * The report's row-by-row downsampling kernels (src/report/downsample.ts) against the block-at-a-time loops they
 * replace (kept there as the reference for float planes): the same block maxima and the same float32 means, bit
 * for bit, on random 16- and 32-bit planes, sparse label planes, odd widths and boxes at odd offsets; the
 * histogram counted in the same pass equals a plain count of the box's pixels (those no block covers included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../bench/synthetic.js';
import { downImage, downImageByBlock, downImageCounting, downLabels, downLabelsByBlock, type Box } from '../src/report/downsample.js';

const cases: { Y: number; X: number; box: Box; w: number; h: number }[] = [
  { Y: 301, X: 517, box: { y0: 0, y1: 301, x0: 0, x1: 517 }, w: 140, h: 82 },
  { Y: 300, X: 400, box: { y0: 0, y1: 300, x0: 0, x1: 400 }, w: 109, h: 82 },
  { Y: 257, X: 263, box: { y0: 17, y1: 240, x0: 33, x1: 250 }, w: 61, h: 63 },
  { Y: 64, X: 65, box: { y0: 1, y1: 64, x0: 3, x1: 60 }, w: 57, h: 63 }, // no shrink
  { Y: 90, X: 2048, box: { y0: 0, y1: 90, x0: 0, x1: 2048 }, w: 560, h: 25 },
];

test('downLabels and downImage equal the block-at-a-time loops bit for bit; the counted histogram is the box\'s', () => {
  const rand = rng(7);
  for (const { Y, X, box, w, h } of cases) {
    for (const Ctor of [Uint16Array, Uint32Array] as const) {
      // sparse labels: runs of one id on a background of zeros, like a mask
      const labels = new Ctor(Y * X);
      for (let i = 0; i < labels.length; i++) if (rand() < 0.04) labels.fill(1 + Math.floor(rand() * 60000), i, Math.min(labels.length, i + 1 + Math.floor(rand() * 9)));
      assert.deepEqual(downLabels(labels, X, box, w, h), downLabelsByBlock(labels, X, box, w, h), `labels ${Ctor.name} ${X}×${Y}`);
      // an offset view (odd element offset into its buffer): the 32-bit word test must not be used misaligned
      const shifted = new Ctor(labels.length + 1);
      shifted.set(labels, 1);
      const view = shifted.subarray(1);
      assert.deepEqual(downLabels(view, X, box, w, h), downLabelsByBlock(labels, X, box, w, h), `offset view ${Ctor.name}`);

      const image = new Ctor(Y * X);
      for (let i = 0; i < image.length; i++) image[i] = Math.floor(rand() * 65536);
      const ref = downImageByBlock(image, X, box, w, h);
      assert.deepEqual(downImage(image, X, box, w, h), ref, `image ${Ctor.name} ${X}×${Y}`);
      if (Ctor === Uint16Array) {
        const hist = new Uint32Array(65536);
        assert.deepEqual(downImageCounting(image, X, box, w, h, hist, 0), ref);
        const expected = new Uint32Array(65536);
        for (let y = box.y0; y < box.y1; y++) for (let x = box.x0; x < box.x1; x++) expected[image[y * X + x]]++;
        assert.deepEqual(hist, expected);
      }
    }
  }
});

test('Int16 planes are counted with their offset; float planes keep the block-at-a-time sums', () => {
  const rand = rng(11);
  const { Y, X, box, w, h } = cases[2];
  const image = new Int16Array(Y * X);
  for (let i = 0; i < image.length; i++) image[i] = Math.floor(rand() * 65536) - 32768;
  const hist = new Uint32Array(65536);
  assert.deepEqual(downImageCounting(image, X, box, w, h, hist, 32768), downImageByBlock(image, X, box, w, h));
  let n = 0;
  for (const c of hist) n += c;
  assert.equal(n, (box.y1 - box.y0) * (box.x1 - box.x0));
  const floats = new Float32Array(Y * X);
  for (let i = 0; i < floats.length; i++) floats[i] = rand() < 0.01 ? NaN : rand() * 1000;
  assert.equal(downImageCounting(floats, X, box, w, h, hist, 0), null);
  assert.deepEqual(downImage(floats, X, box, w, h), downImageByBlock(floats, X, box, w, h));
});
