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
