/**
 * The runs of a label volume: maximal stretches of one non-zero label along x, never crossing a row, in raster
 * (C) order. One scan of the volume serves every per-object statistic (`object-measurements.ts`) and the overlap
 * table (`detailed-overlaps.ts`), which then touch only object voxels (2–5 % of the bench images' voxels).
 *
 * The scan is its own small function on purpose: V8 optimises (OSR) a small hot loop in a few ms, while the former
 * whole-volume loop with every statistic inside took 40–70 ms to compile — twice per channel after deopts on
 * branches it had not seen yet — and ran unoptimised meanwhile (~100 ms of a cold 2048² run).
 */

import type { LabelRuns } from '../core/label-runs.js';
import type { LabelData } from '../core/volume.js';

export type { LabelRuns };

/** All runs of `data` (rows of `X` voxels). */
export function scanLabelRuns(data: LabelData, X: number): LabelRuns {
  let cap = 1024;
  let start: Float64Array = new Float64Array(cap);
  let length: Int32Array = new Int32Array(cap);
  let label: Float64Array = new Float64Array(cap);
  let n = 0;
  const N = data.length;
  for (let rowBase = 0; rowBase < N; rowBase += X) {
    const rowEnd = rowBase + X;
    let i = rowBase;
    while (i < rowEnd) {
      // background is most of the volume: four voxels per test (the OR of uint32 labels is 0 iff all are 0)
      if (i + 4 <= rowEnd && (data[i] | data[i + 1] | data[i + 2] | data[i + 3]) === 0) {
        i += 4;
        continue;
      }
      const l = data[i];
      if (l === 0) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < rowEnd && data[j] === l) j++;
      if (n === cap) {
        cap *= 2;
        start = grow64(start, cap);
        length = grow32(length, cap);
        label = grow64(label, cap);
      }
      start[n] = i;
      length[n] = j - i;
      label[n] = l;
      n++;
      i = j;
    }
  }
  return { n, start, length, label };
}

function grow64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function grow32(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
