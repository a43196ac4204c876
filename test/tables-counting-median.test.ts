// The counting median of large uint16 segments (measurement-kernels.ts) against numpy.median's definition
// (sort, middle value or mean of the two middle values), on random segments of both parities and on hand cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianOfUint16Segment } from '../src/tables/measurement-kernels.js';

function numpyMedian(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length;
  return m % 2 ? s[m >> 1] : (s[(m >> 1) - 1] + s[m >> 1]) / 2;
}

test('counting median equals numpy.median on large uint16 segments (odd and even lengths, offsets)', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const m of [32768, 32769, 50001, 70000]) {
    for (const range of [3, 1000, 65536]) {
      const xs = Array.from({ length: m }, () => Math.floor(rnd() * range));
      const v = new Float64Array(m + 10);
      v.set(xs, 5);
      assert.equal(medianOfUint16Segment(v, 5, m), numpyMedian(xs), `m=${m} range=${range}`);
      assert.deepEqual(Array.from(v.subarray(5, 5 + m)), xs, 'segment unchanged');
    }
  }
});

test('counting median: two-valued even segment gives the mean of the middle pair; short segments still work', () => {
  const m = 40000;
  const v = new Float64Array(m);
  v.fill(10, 0, m / 2);
  v.fill(65535, m / 2);
  assert.equal(medianOfUint16Segment(v, 0, m), (10 + 65535) / 2);
  assert.equal(medianOfUint16Segment(new Float64Array([4, 1, 9, 2]), 0, 4), 3);
  assert.ok(Number.isNaN(medianOfUint16Segment(new Float64Array(0), 0, 0)));
});

test('measureObjects: a large uint16 object (histogram path) has numpy.median, sum and max of its voxels; small objects unchanged', async () => {
  const { measureObjects } = await import('../src/tables/object-measurements.js');
  const [Z, Y, X] = [4, 128, 128]; // object 1: planes 0-2 (49152 voxels ≥ the histogram threshold); object 2: 100 voxels
  const labels = new Uint32Array(Z * Y * X);
  const inten = new Uint16Array(Z * Y * X);
  let seed = 3;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const byLabel: number[][] = [[], [], []];
  for (let i = 0; i < labels.length; i++) {
    const l = i < 3 * Y * X ? 1 : i < 3 * Y * X + 100 ? 2 : 0;
    labels[i] = l;
    inten[i] = Math.floor(rnd() * 65536);
    if (l) byLabel[l].push(inten[i]);
  }
  const m = measureObjects({ data: labels, shape: [Z, Y, X] }, { data: inten, shape: [Z, Y, X] }, null, [1, 1, 1]);
  assert.deepEqual(Array.from(m.ids), [1, 2]);
  for (const k of [0, 1]) {
    const xs = byLabel[k + 1];
    assert.equal(m.medianIntensity[k], numpyMedian(xs));
    assert.equal(m.maxIntensity[k], Math.max(...xs));
    assert.equal(m.sumIntensity[k], xs.reduce((a, b) => a + b, 0));
  }
});
