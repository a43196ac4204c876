/** otsu / li / percentile vs scikit-image 0.19.3 / NumPy 1.24.2 (reference.json) and hand-computed values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/fixtures.js';
import { thresholdOtsu } from '../src/segmentation/threshold/otsu.js';
import { thresholdLi } from '../src/segmentation/threshold/li.js';
import { percentileLinear } from '../src/segmentation/threshold/percentile.js';

const ref = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'data', 'segmentation', 'reference.json'), 'utf8'));

test('hand-computed thresholds', () => {
  assert.equal(thresholdOtsu(new Float32Array([4.5, 4.5, 4.5])), 4.5);
  // two values 1 and 2: edges linspace(1, 2, 257), first argmax at bin 0 → centre (1 + 1 + 1/256) / 2
  assert.equal(thresholdOtsu(new Float32Array([1, 2])), Math.fround(1 + 1 / 512));
  assert.equal(percentileLinear(new Float32Array([4, 1, 3, 2]), 50), 2.5);
  assert.equal(percentileLinear(new Float32Array([4, 1, 3, 2]), 100), 4);
  assert.equal(percentileLinear(new Float32Array([4, 1, 3, 2]), 0), 1);
  // (n−1)·0.98 = 2.94 → b − (b − a)(1 − γ) = 4 − 1·0.06 (float64)
  assert.equal(percentileLinear(new Float32Array([4, 1, 3, 2]), 98), 4 - 1 * (1 - (2.94 - 2)));
  // li on {1, 2}: shifted {0, 1}, mean 0.5, then mean_back = 0 → log(0) = −inf → t = 0 → threshold 1
  assert.equal(thresholdLi(new Float32Array([1, 2])), 1);
  assert.equal(thresholdLi(new Float32Array([3, 3])), 3);
});

test('otsu, li and percentile (0, 33.3, 50, 98, 100) are bit-identical to skimage / NumPy', () => {
  for (const t of ref.thresholds) {
    const v = new Float32Array(t.values);
    assert.equal(thresholdOtsu(v), t.otsu, `otsu ${t.name}`);
    assert.equal(thresholdLi(v), t.li, `li ${t.name}`);
    assert.equal(percentileLinear(v, 98), t.p98, `p98 ${t.name}`);
    assert.equal(percentileLinear(v, 50), t.p50, `p50 ${t.name}`);
    assert.equal(percentileLinear(v, 33.3), t.p33_3, `p33.3 ${t.name}`);
    assert.equal(percentileLinear(v, 0), t.p0, `p0 ${t.name}`);
    assert.equal(percentileLinear(v, 100), t.p100, `p100 ${t.name}`);
  }
});

test('percentile by selection equals the sorted-array definition on random float32 values with ties and NaN-free/NaN inputs', () => {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let trial = 0; trial < 60; trial++) {
    const n = 1 + Math.floor(rnd() * 3000);
    const levels = trial % 3 === 0 ? 7 : 1e6; // many ties vs few
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.floor(rnd() * levels) / 3 + 0.5;
    if (trial === 59) v[n >> 1] = NaN;
    const before = v.slice();
    const sorted = v.slice().sort();
    for (const q of [0, 0.5, 13.7, 33.3, 50, 98, 99.9, 100]) {
      const virtual = (n - 1) * (q / 100);
      const prev = Math.floor(virtual);
      const next = Math.min(n - 1, prev + 1);
      const a = sorted[prev];
      const b = sorted[next];
      const gamma = virtual - prev;
      const diff = Math.fround(b - a);
      const expected = gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
      assert.ok(Object.is(percentileLinear(v, q), expected), `trial ${trial} q ${q}`);
    }
    assert.deepEqual(v, before, 'input unchanged');
  }
});
