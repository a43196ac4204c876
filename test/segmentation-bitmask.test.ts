/**
 * Bit-packed threshold chain (issue 21, `bitmask.ts`) and integer-histogram thresholds (`threshold/histogram.ts`)
 * vs scikit-image 0.19.3 / NumPy 1.24.2 (test/data/segmentation/bitmask-reference.json from
 * scripts/gen-bitmask-reference.py): rows that span several 32-bit words, widths on and off word multiples,
 * 2D and 3D; uint8/uint16/int8/int16 images with zeros and negatives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/fixtures.js';
import type { Shape3 } from '../src/core/volume.js';
import { closeBits, packMask, thresholdToBits, unpackMask, releaseBitMask } from '../src/segmentation/bitmask.js';
import { binaryClosing, removeSmallBitComponents } from '../src/segmentation/morphology.js';
import { labelBitMask } from '../src/segmentation/label.js';
import { otsuOfHistogram, percentileOfHistogram, positiveHistogram } from '../src/segmentation/threshold/histogram.js';
import { segmentThresholdChannel } from '../src/segmentation/threshold-segmentation.js';
import { segmentChannelByRoi } from '../src/segmentation/roi-driver.js';
import { filterLabelsBySize, labelVoxelCounts } from '../src/segmentation/size-filter.js';
import { defaultModelConfig } from '../src/config/load-config.js';

const ref = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'data', 'segmentation', 'bitmask-reference.json'), 'utf8'));
const fromBits = (s: string) => Uint8Array.from(s, (c) => (c === '1' ? 1 : 0));

function viaBits(mask: Uint8Array, shape: Shape3, op: (b: ReturnType<typeof packMask>) => void): number[] {
  const b = packMask(mask, shape);
  op(b);
  const out = [...unpackMask(b, new Uint8Array(mask.length))];
  releaseBitMask(b);
  return out;
}

test('bit-packed closing, small-object/hole removal and labelling match scikit-image on multi-word rows', () => {
  for (const r of ref.morphology) {
    const shape = r.shape as Shape3;
    const mask = fromBits(r.mask);
    const at = `shape ${r.shape}`;
    assert.deepEqual(viaBits(mask, shape, closeBits), [...fromBits(r.closing)], `closing ${at}`);
    assert.deepEqual([...binaryClosing(mask, shape)], [...fromBits(r.closing)], `byte-mask closing ${at}`);
    assert.deepEqual(viaBits(mask, shape, (b) => removeSmallBitComponents(b, 5, 1)), [...fromBits(r.small_objects_5)], `objects ${at}`);
    assert.deepEqual(viaBits(mask, shape, (b) => removeSmallBitComponents(b, 5, 0)), [...fromBits(r.small_holes_5)], `holes ${at}`);
    const b = packMask(mask, shape);
    const lab = labelBitMask(b, 'full');
    releaseBitMask(b);
    assert.deepEqual([...lab.labels], r.label_full, `label ${at}`);
    assert.equal(lab.count, Math.max(...r.label_full), `count ${at}`);
    // per-id voxel counts from the runs = np.bincount of scikit-image's labels
    const bincount = new Array(lab.count + 1).fill(0);
    for (const v of r.label_full) bincount[v]++;
    assert.deepEqual([...lab.counts], bincount, `counts ${at}`);
  }
});

test('thresholdToBits packs value > t exactly (NaN and padding bits stay 0) and survives a dirty reused buffer', () => {
  const shape: Shape3 = [2, 3, 37];
  const n = 2 * 3 * 37;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (i * 7919) % 101;
  v[5] = NaN;
  // dirty the pool: a released mask of the same size full of ones
  const dirty = packMask(new Uint8Array(n).fill(1), shape);
  releaseBitMask(dirty);
  const b = thresholdToBits(v, shape, 50);
  assert.deepEqual([...unpackMask(b, new Uint8Array(n))], [...v].map((x) => (x > 50 ? 1 : 0)));
  // padding bits (x = 37..63 of each row's second word) are zero
  for (let r = 0; r < 6; r++) assert.equal(b.bits[r * 2 + 1] >>> 5, 0);
  releaseBitMask(b);
});

const ctor = { uint8: Uint8Array, uint16: Uint16Array, int8: Int8Array, int16: Int16Array } as const;

test('otsu and percentile from the integer histogram equal skimage threshold_otsu / np.percentile of the float32 values', () => {
  for (const t of ref.thresholds) {
    const img = ctor[t.dtype as keyof typeof ctor].from(t.data as number[]);
    const h = positiveHistogram(img);
    assert.equal(otsuOfHistogram(h), t.otsu, `otsu ${t.name}`);
    for (const [q, key] of [[98, 'p98'], [50, 'p50'], [0, 'p0'], [100, 'p100'], [33.3, 'p33_3']] as const) {
      assert.equal(percentileOfHistogram(h, q), t[key], `p${q} ${t.name}`);
    }
  }
});

test('segmentThresholdChannel gives the same threshold and labels from stored integers as from their float32 copy', () => {
  for (const t of ref.thresholds.filter((x: { data: number[] }) => x.data.length >= 800)) {
    const img = ctor[t.dtype as keyof typeof ctor].from(t.data as number[]);
    const X = 40;
    const shape: [number, number, number] = [1, Math.floor(img.length / X), X];
    const data = img.subarray(0, shape[1] * X);
    for (const method of ['otsu', 'percentile'] as const) {
      const config = { ...defaultModelConfig(), segmentationMethod: method, thresholdPercentile: 60 };
      const a = segmentThresholdChannel({ data, shape }, config);
      const b = segmentThresholdChannel({ data: Float32Array.from(data), shape }, config);
      assert.equal(a.threshold, b.threshold, `${method} ${t.name}`);
      assert.equal(a.nValues, b.nValues);
      assert.equal(a.valuesMin, b.valuesMin);
      assert.equal(a.valuesMax, b.valuesMax);
      assert.equal(a.maxLabel, b.maxLabel);
      assert.deepEqual(a.labels.data, b.labels.data, `${method} ${t.name} labels`);
    }
  }
});

test('the driver hands on the labelling counts only for one whole-image ROI that fills its box, and they equal a recount', async () => {
  const t = ref.thresholds.find((x: { name: string }) => x.name === 'uint16_bimodal');
  const data = Uint16Array.from(t.data as number[]).subarray(0, 50 * 100);
  const image = { data, shape: [1, 50, 100] as const };
  const config = { ...defaultModelConfig(), segmentationMethod: 'otsu' as const };
  const full = { data: new Uint16Array(5000).fill(1), shape: [50, 100] as const };
  const a = await segmentChannelByRoi(image, full, config, { zBounds: null, voxelSizeUm: [1, 1, 1] });
  assert.ok(a.labelCounts);
  assert.deepEqual([...a.labelCounts], [...labelVoxelCounts(a.labels.data)]);
  const viaCounts = filterLabelsBySize(a.labels, 3, { counts: a.labelCounts });
  const scanned = filterLabelsBySize(a.labels, 3);
  assert.deepEqual(viaCounts.removed, scanned.removed);
  assert.equal(viaCounts.nIn, scanned.nIn);
  assert.deepEqual(viaCounts.labels.data, scanned.labels.data);
  // a ROI whose bbox is the image but which leaves a corner out is clipped: no counts
  const corner = new Uint16Array(5000).fill(1);
  corner[0] = 0;
  const b = await segmentChannelByRoi(image, { data: corner, shape: [50, 100] }, config, { zBounds: null, voxelSizeUm: [1, 1, 1] });
  assert.equal(b.labelCounts, undefined);
});
