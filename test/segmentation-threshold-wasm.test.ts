/**
 * The threshold chain's WebAssembly kernels (segmentation/kernels/threshold-wasm.ts) give the same bits as its
 * JavaScript loops, which test/segmentation-bitmask.test.ts checks against scikit-image: the value histogram, the
 * packed `v > t` mask (row padding, thresholds at the ends of the uint16 range), the closing and the runs of set and
 * of clear bits (2D and 3D, widths that are and are not multiples of 32).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Shape3 } from '../src/core/volume.js';
import { closeBits, findBitRuns, releaseBitMask, thresholdToBits } from '../src/segmentation/bitmask.js';
import { positiveHistogram } from '../src/segmentation/threshold/histogram.js';
import { thresholdKernels, thresholdKernelsLoaded } from '../src/segmentation/kernels/threshold-wasm.js';
import { withKernelEngine } from './helpers/declump-engines.js';

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/** Blobs of bright values on a dim background (so that closing has edges, gaps and holes to work on), plus noise. */
function image(shape: Shape3, seed: number, max: number): Uint16Array {
  const [Z, Y, X] = shape;
  const r = rand(seed);
  const out = new Uint16Array(Z * Y * X);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * max * 0.4);
  for (let b = 0; b < Math.max(3, (Y * X) / 200); b++) {
    const [cz, cy, cx, rad] = [r() * Z, r() * Y, r() * X, 1 + r() * 6];
    for (let z = 0; z < Z; z++) for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) {
      if ((z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= rad * rad && r() < 0.9) out[(z * Y + y) * X + x] = Math.floor(max * (0.5 + r() * 0.5));
    }
  }
  return out;
}

const withEngine = <T>(engine: 'wasm' | 'js', f: () => T): T => withKernelEngine(thresholdKernels, engine, f);

const shapes: Shape3[] = [[1, 37, 53], [1, 64, 64], [1, 1, 5], [3, 20, 70], [5, 33, 32], [1, 300, 1000]];

test('threshold kernels: WebAssembly and JavaScript give the same histogram, packed mask and closing', () => {
  for (const [i, shape] of shapes.entries()) {
    for (const max of [255, 65535]) {
      const img = image(shape, 17 + i, max);
      const hw = withEngine('wasm', () => positiveHistogram(img));
      const hj = withEngine('js', () => positiveHistogram(img));
      assert.deepEqual([hw.nValues, hw.nDistinct], [hj.nValues, hj.nDistinct], `${shape} ${max} histogram size`);
      assert.deepEqual(Array.from(hw.values), Array.from(hj.values), `${shape} ${max} histogram values`);
      assert.deepEqual(Array.from(hw.counts), Array.from(hj.counts), `${shape} ${max} histogram counts`);
      for (const t of [-0.5, 0, 0.25, max * 0.45 + 0.5, 65533.5, 65534, 65534.5, 65535, 70000]) {
        const packed = (engine: 'wasm' | 'js') =>
          withEngine(engine, () => {
            const m = thresholdToBits(img, shape, t);
            const bits = Array.from(m.bits);
            closeBits(m);
            const closed = Array.from(m.bits);
            const runs = ([1, 0] as const).map((v) => {
              const r = findBitRuns(m, v);
              return [Array.from(r.rowStart), Array.from(r.x0.subarray(0, r.count)), Array.from(r.x1.subarray(0, r.count)), r.count];
            });
            releaseBitMask(m);
            return { bits, closed, runs };
          });
        const w = packed('wasm');
        const j = packed('js');
        assert.deepEqual(w.bits, j.bits, `${shape} max ${max} t ${t}: packed mask`);
        assert.deepEqual(w.closed, j.closed, `${shape} max ${max} t ${t}: closing`);
        assert.deepEqual(w.runs, j.runs, `${shape} max ${max} t ${t}: runs of set and of clear bits`);
      }
    }
  }
});

test('threshold kernels: the WebAssembly module loads here (else the run silently uses the JavaScript loops)', () => {
  assert.ok(withEngine('wasm', () => thresholdKernelsLoaded()));
  const img = new Uint16Array([0, 5, 9, 9]);
  const h = withEngine('wasm', () => positiveHistogram(img));
  assert.deepEqual([Array.from(h.values), Array.from(h.counts)], [[5, 9], [1, 2]]);
});
