/**
 * Threshold labels are uint16 when every id fits (≤ 65535 objects), uint32 otherwise (`LabelData`, issue 21); ids
 * past 65535 — one crop with more objects, or the running offset of a later ROI — must never wrap. Expected ids follow
 * skimage.measure.label's numbering (1..N in the raster order of each object's first voxel), written down here from
 * the geometry: isolated pixels at (2i, 2j) are 8-connected to nothing, so pixel (2i, 2j) of a grid with `cols` dots
 * per row is object i·cols + j + 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelConfig } from '../src/config/types.js';
import type { RoiLabels, Volume } from '../src/core/volume.js';
import { segmentChannelByRoi } from '../src/segmentation/roi-driver.js';
import { segmentThresholdChannel } from '../src/segmentation/threshold-segmentation.js';
import { encodeLabelTiffAsync } from '../src/export/label-tiff.js';

function cfg(): ModelConfig {
  return {
    modelNameOrPath: null, segmentationMethod: 'otsu', diameter: null, do3d: null, zAxis: 0, channelAxis: null,
    cellprobThreshold: 0, flowThreshold: 0.4, anisotropy: false, flow3dSmooth: 0, prefilter: [], prefilterSigmaXy: 1,
    prefilterSigmaZ: null, prefilterMedianSizeXy: 3, prefilterMedianSizeZ: null, zCrop: null, zProjection: null,
    thresholdPercentile: 98, thresholdBackgroundSigma: null, thresholdMinObjectVoxels: 0, thresholdMinHoleVoxels: 0,
    thresholdApplyClosing: false, postfilters: [], postfilterMinObjectVoxels: null, minIntensityMeasure: 'mean',
    minIntensityThreshold: null, localContrastK: 1, localContrastShellInnerRadius: 1, localContrastShellOuterRadius: 4,
    brightPixelMeasure: 'count', brightPixelThreshold: null, brightPixelMinCount: null, brightPixelMinFraction: null,
    declumpMethod: 'none', typicalDiameterPx: null, typicalDiameterUm: null, declumpSmoothingPx: null,
    declumpMinDistancePx: null, declumpMergeNeckPx: 1.5, declumpMergeContrast: 0.15, fillHoles: false, excludeBorderObjects: false, discardOutsideDiameter: false,
  };
}

/** `Y × X` uint16 image: 100 at every (even y, even x), 1 elsewhere (Otsu separates the two values). */
function dots(Y: number, X: number): Volume {
  const data = new Uint16Array(Y * X).fill(1);
  for (let y = 0; y < Y; y += 2) for (let x = 0; x < X; x += 2) data[y * X + x] = 100;
  return { data, shape: [1, Y, X] };
}

/** The expected id of every pixel of `dots(Y, X)`: 0 off the grid, i·cols + j + 1 at (2i, 2j). */
function expectedIds(Y: number, X: number): number[] {
  const cols = Math.ceil(X / 2);
  const out = new Array<number>(Y * X).fill(0);
  for (let y = 0; y < Y; y += 2) for (let x = 0; x < X; x += 2) out[y * X + x] = (y / 2) * cols + x / 2 + 1;
  return out;
}

test('threshold labels: uint16 up to 65535 objects, uint32 beyond, ids exact either way', () => {
  // 256 × 256 dots = 65536 objects: one too many for uint16
  for (const [Y, X, n, type] of [[510, 512, 255 * 256, Uint16Array], [512, 512, 65536, Uint32Array]] as const) {
    const r = segmentThresholdChannel(dots(Y, X), cfg());
    assert.equal(r.maxLabel, n);
    assert.ok(r.labels.data instanceof type, `${n} objects: ${type.name}`);
    assert.deepEqual(Array.from(r.labels.data), expectedIds(Y, X), `${n} objects`);
  }
});

test('per-ROI offsets past 65535: two ROIs of uint16 labels are pasted with ids that do not wrap', async () => {
  // top and bottom halves, 130 × 256 = 33280 objects each: ROI 2's ids are 33281 … 66560
  const [Y, X] = [520, 512];
  const roi: RoiLabels = { data: new Uint16Array(Y * X), shape: [Y, X] };
  roi.data.fill(1, 0, 260 * X);
  roi.data.fill(2, 260 * X);
  const r = await segmentChannelByRoi(dots(Y, X), roi, cfg(), { zBounds: null, voxelSizeUm: [1, 1, 1] });
  assert.deepEqual(r.calls.map((c) => c.info.nLabelsRaw), [33280, 33280]);
  assert.deepEqual(Array.from(r.labels.data), expectedIds(Y, X));
});

test('uint16 labels give the same TIFF bytes as the same ids in uint32', async () => {
  const r = segmentThresholdChannel(dots(64, 96), cfg());
  assert.ok(r.labels.data instanceof Uint16Array);
  const wide = { data: new Uint32Array(r.labels.data), shape: r.labels.shape };
  const opts = { compression: 'deflate' as const, deflateLevel: 1, voxelSizeUm: [1, 0.5, 0.5] as const, description: 'ome' as const };
  const a = Buffer.concat(await encodeLabelTiffAsync(r.labels, opts));
  const b = Buffer.concat(await encodeLabelTiffAsync(wide, opts));
  assert.ok(a.equals(b));
});
