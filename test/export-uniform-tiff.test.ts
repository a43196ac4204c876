/**
 * The whole-image ROI raster (`rois: full`) is built only when read (roi/full-image.ts), and its TIFF is deflated
 * from one repeated value (export/uniform-tiff.ts): the file must be byte for byte the one the whole-raster encoder
 * writes for `ones((Y, X), uint16)` (spec 9.1), and the run's readers must see exactly that raster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lazyFullImageRoiLabels } from '../src/roi/full-image.js';
import { indexRois, uniformRoiId } from '../src/roi/roi-index.js';
import { encodeRoiLabelsTiffAsync } from '../src/export/placed-tiff.js';
import { encodeTiffStackChunksAsync, type TiffWriteOptions } from '../src/io/tiff-writer.js';

const concat = (c: Uint8Array[]) => Buffer.concat(c);

test('whole-image ROI TIFF: same bytes as the encoder on the ones raster (sizes below, at and above one piece; levels 1, 6)', async () => {
  for (const [Y, X] of [[1, 1], [37, 53], [512, 512], [1100, 700]] as [number, number][]) {
    for (const level of [1, 6]) {
      const opts: TiffWriteOptions = { compression: 'deflate', deflateLevel: level, voxelSizeUm: [1, 0.25, 0.25], description: 'ome' };
      const roi = lazyFullImageRoiLabels([Y, X]);
      const ours = concat(await encodeRoiLabelsTiffAsync(roi, opts));
      const ones = { data: new Uint16Array(Y * X).fill(1), shape: [1, Y, X] as [number, number, number] };
      assert.ok(ours.equals(concat(await encodeTiffStackChunksAsync(ones, opts))), `${Y}×${X} level ${level}`);
    }
  }
});

test('whole-image ROI: index and uniform id known without the raster; the raster, when read, is all ones', () => {
  const roi = lazyFullImageRoiLabels([3, 4]);
  assert.equal(uniformRoiId(roi), 1);
  assert.deepEqual(indexRois(roi).ids, [1]);
  assert.deepEqual(indexRois(roi).boxes, [{ yMin: 0, yMax: 3, xMin: 0, xMax: 4 }]);
  assert.deepEqual(Array.from(roi.data), new Array(12).fill(1));
  assert.equal(roi.data, roi.data, 'built once');
});
