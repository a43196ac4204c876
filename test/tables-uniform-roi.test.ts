/**
 * Issue 21: with the whole-image ROI (its index remembered, roi/resolve-rois.ts) the measurement pass assigns ROI
 * membership per run (`passRoisUniform`) and reuses its 2D border raster between calls; the measurements must equal
 * those of the per-voxel pass over an identical raster whose index is not known (a copy) — 2D and 3D.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureObjects } from '../src/tables/object-measurements.js';
import { createFullImageRoiLabels } from '../src/roi/full-image.js';
import { resolveRoiLabels } from '../src/roi/resolve-rois.js';
import { uniformRoiId } from '../src/roi/roi-index.js';
import type { LabelVolume, Volume } from '../src/core/volume.js';

function scene(Z: number, Y: number, X: number): { labels: LabelVolume; intensity: Volume } {
  const data = new Uint32Array(Z * Y * X);
  const inten = new Uint16Array(Z * Y * X);
  let s = 7;
  for (let i = 0; i < inten.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    inten[i] = s >>> 20;
  }
  // discs (2D) / short cylinders (3D) of labels 1..n, some touching the image edge and each other
  const centres = [[3, 4], [10, 12], [12, 15], [20, 5], [0, 25], [28, 28], [15, 29]];
  centres.forEach(([cy, cx], k) => {
    for (let z = 0; z < Z; z++) {
      if (Z > 1 && (z + k) % 4 === 3) continue;
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) {
        if ((y - cy) ** 2 + (x - cx) ** 2 <= 9 + k) data[(z * Y + y) * X + x] = k + 1;
      }
    }
  });
  return { labels: { data, shape: [Z, Y, X] }, intensity: { data: inten, shape: [Z, Y, X] } };
}

for (const Z of [1, 3]) {
  test(`whole-image ROI: per-run ROI pass = per-voxel pass (${Z === 1 ? '2D' : '3D'}), twice in a row`, async () => {
    const [Y, X] = [31, 33];
    const { labels, intensity } = scene(Z, Y, X);
    const full = await resolveRoiLabels({ rois: { kind: 'full' } }, [Y, X]);
    assert.equal(uniformRoiId(full), 1);
    const copy = createFullImageRoiLabels([Y, X]); // same pixels, index unknown: the per-voxel pass
    assert.equal(uniformRoiId(copy), 0);
    const reference = measureObjects(labels, intensity, copy, [1, 0.5, 0.5]);
    for (let round = 0; round < 2; round++) {
      const fast = measureObjects(labels, intensity, full, [1, 0.5, 0.5]);
      assert.deepEqual(fast, reference);
    }
  });
}
