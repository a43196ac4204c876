/** Per-ROI driver (spec 4.1), prefilter validation and backend selection, on small hand-built inputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelConfig } from '../src/config/types.js';
import type { FloatVolume, RoiLabels, Volume } from '../src/core/volume.js';
import { isCellColocError } from '../src/core/errors.js';
import { relabelWithOffset, roiBoundingBoxes, segmentChannelByRoi } from '../src/segmentation/roi-driver.js';
import { backendFor, thresholdBackend, type SegmentationBackend } from '../src/segmentation/backend.js';
import { applyPrefilter } from '../src/segmentation/prefilter.js';
import { segmentThresholdChannel } from '../src/segmentation/threshold-segmentation.js';

function cfg(over: Partial<ModelConfig> = {}): ModelConfig {
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
    ...over,
  };
}

const roiFrom = (rows: string[]): RoiLabels => ({
  data: Uint16Array.from(rows.join('').split(''), (c) => (c === '.' ? 0 : Number(c))),
  shape: [rows.length, rows[0].length],
});

/** Backend that labels every voxel of the crop 1 and records what it was given. */
function fillBackend(seen: FloatVolume[]): SegmentationBackend {
  return {
    method: 'otsu',
    async segmentCrop(crop) {
      seen.push({ data: new Float32Array(crop.data), shape: crop.shape });
      return { labels: { data: new Uint32Array(crop.data.length).fill(1), shape: crop.shape }, info: { method: 'otsu', threshold: null, nValues: 0, nLabelsRaw: 1 } };
    },
  };
}

test('relabelWithOffset and roiBoundingBoxes (half-open, ids ascending)', () => {
  const l = new Uint32Array([0, 1, 2, 0]);
  relabelWithOffset(l, 5);
  assert.deepEqual([...l], [0, 6, 7, 0]);
  const boxes = roiBoundingBoxes(roiFrom(['..3.', '2.3.', '2...', '...3']));
  assert.deepEqual([...boxes.keys()], [2, 3]);
  assert.deepEqual(boxes.get(2), { yMin: 1, yMax: 3, xMin: 0, xMax: 1 });
  assert.deepEqual(boxes.get(3), { yMin: 0, yMax: 4, xMin: 2, xMax: 4 });
});

test('driver: crop zeroed outside the polygon, Q7 clip by default, offsets, Q43 max paste, z bounds', async () => {
  const roi = roiFrom(['11..', '1...', '..22', '..22']);
  const image: Volume = { data: new Uint16Array(2 * 16).fill(7), shape: [2, 4, 4] };
  const seen: FloatVolume[] = [];
  const progress: number[][] = [];
  const r = await segmentChannelByRoi(image, roi, cfg(), { zBounds: null, voxelSizeUm: [1, 1, 1], backend: fillBackend(seen), onRoi: (d, t) => progress.push([d, t]) });
  // ROI 1 box 2×2: the (1,1) pixel is outside the polygon → zeroed in the backend input on both planes
  assert.deepEqual(seen[0].shape, [2, 2, 2]);
  assert.deepEqual([...seen[0].data], [7, 7, 7, 0, 7, 7, 7, 0]);
  assert.deepEqual(progress, [[1, 2], [2, 2]]);
  // clipped (default): ROI 1 → id 1 on its 3 pixels, ROI 2 → id 2 (offset 1)
  const plane = [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2];
  assert.deepEqual([...r.labels.data], [...plane, ...plane]);
  assert.deepEqual(r.calls.map((c) => c.roiId), [1, 2]);
  // compat (no clip): ROI 1's whole box is labelled
  const c = await segmentChannelByRoi(image, roi, cfg(), { zBounds: [1, 2], voxelSizeUm: [1, 1, 1], backend: fillBackend([]), clipToRoi: false });
  assert.deepEqual([...c.labels.data.subarray(0, 16)], new Array(16).fill(0));
  assert.deepEqual([...c.labels.data.subarray(16)], [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2]);
  // Q43: overlapping boxes, later ROI (higher ids) wins via element-wise max; no offsets → both 1
  const overlap = roiFrom(['11', '12']);
  const o = await segmentChannelByRoi({ data: new Uint16Array(4).fill(3), shape: [1, 2, 2] }, overlap, cfg(), { zBounds: null, voxelSizeUm: [1, 1, 1], backend: fillBackend([]), clipToRoi: false });
  assert.deepEqual([...o.labels.data], [1, 1, 1, 2]);
  const n = await segmentChannelByRoi({ data: new Uint16Array(4).fill(3), shape: [1, 2, 2] }, overlap, cfg(), { zBounds: null, voxelSizeUm: [1, 1, 1], backend: fillBackend([]), clipToRoi: false, applyOffsets: false });
  assert.deepEqual([...n.labels.data], [1, 1, 1, 1]);
});

test('driver: ROI/image shape mismatch is an InputError; bad z bounds a ValueError', async () => {
  const image: Volume = { data: new Uint16Array(12), shape: [1, 3, 4] };
  await assert.rejects(segmentChannelByRoi(image, roiFrom(['11', '11']), cfg(), { zBounds: null, voxelSizeUm: [1, 1, 1] }),
    (e: unknown) => isCellColocError(e, 'InputError') && /\(2, 2\).*\(3, 4\)/.test((e as Error).message));
  await assert.rejects(segmentChannelByRoi(image, roiFrom(['1111', '1111', '1111']), cfg(), { zBounds: [0, 2], voxelSizeUm: [1, 1, 1] }),
    (e: unknown) => isCellColocError(e, 'ValueError'));
});

test('threshold chain on a hand-built crop: strict >, empty crop, offsets through the real backend', async () => {
  // otsu of {1,1,1,9,9,9} → threshold near 5; foreground = the 9s → one 8-connected object (diagonal, Q13)
  const crop: FloatVolume = { data: new Float32Array([9, 1, 1, 1, 9, 1, 9, 1, 1]), shape: [1, 3, 3] };
  const r = segmentThresholdChannel(crop, cfg());
  assert.deepEqual([...r.labels.data], [1, 0, 0, 0, 1, 0, 1, 0, 0]);
  assert.equal(r.nValues, 9);
  assert.equal(r.valuesMin, 1);
  assert.equal(r.valuesMax, 9);
  // percentile 0 → threshold = min → strict > keeps every voxel above the minimum only
  const p = segmentThresholdChannel(crop, cfg({ segmentationMethod: 'percentile', thresholdPercentile: 0 }));
  assert.equal(p.threshold, 1);
  assert.equal(p.labels.data.filter((v) => v > 0).length, 3);
  // all zero → empty labels, null threshold
  const e = segmentThresholdChannel({ data: new Float32Array(4), shape: [1, 2, 2] }, cfg());
  assert.equal(e.threshold, null);
  assert.equal(e.nValues, 0);
  assert.deepEqual([...e.labels.data], [0, 0, 0, 0]);
  // real backend via the driver: two ROIs each with one object → ids 1 and 2
  const img: Volume = { data: new Uint16Array([9, 1, 0, 1, 9, 1, 1, 0, 9]), shape: [1, 3, 3] };
  const out = await segmentChannelByRoi(img, roiFrom(['11.', '11.', '..2']), cfg({ segmentationMethod: 'li' }), { zBounds: null, voxelSizeUm: [1, 1, 1] });
  assert.equal(out.calls[0].info.method, 'li');
  assert.equal(out.calls[0].info.nLabelsRaw, 1);
  assert.equal(out.calls[1].info.nValues, 1);
});

test('prefilter validation and 2-D/3-D dispatch; backendFor', () => {
  const v: Volume = { data: new Uint16Array(9).fill(5), shape: [1, 3, 3] };
  for (const bad of [cfg({ prefilter: ['gaussian'], prefilterSigmaXy: -1 }), cfg({ prefilter: ['laplacian_of_gaussian'], prefilterSigmaXy: -0.5 }), cfg({ prefilter: ['median'], prefilterMedianSizeXy: 0 })]) {
    assert.throws(() => applyPrefilter(v, bad), (e: unknown) => isCellColocError(e, 'ValueError'));
  }
  assert.throws(() => applyPrefilter({ data: new Uint16Array(18), shape: [2, 3, 3] }, cfg({ prefilter: ['gaussian'], prefilterSigmaZ: -1 })), (e: unknown) => isCellColocError(e, 'ValueError'));
  // a constant image stays constant under the median; the negated LoG of a constant 5 is not 0 but
  // −5·2·Σ(x²−1)φ(x) over the truncated kernel = 0.00072 (SciPy prints the same: -gaussian_laplace(full((3,3),5),1))
  const med = applyPrefilter(v, cfg({ prefilter: ['median'] }));
  assert.deepEqual([...med.data], new Array(9).fill(5));
  assert.equal(med.data instanceof Float32Array, true);
  const log = applyPrefilter(v, cfg({ prefilter: ['laplacian_of_gaussian'] }));
  for (const x of log.data) assert.ok(Math.abs(x - 0.00072) < 1e-8);
  assert.throws(() => backendFor(cfg({ segmentationMethod: 'cellpose' })), (e: unknown) => isCellColocError(e, 'NotSupportedError') && /cellpose/.test((e as Error).message));
  assert.equal(backendFor(cfg({ segmentationMethod: 'percentile' })).method, 'percentile');
  assert.equal(thresholdBackend('li').method, 'li');
});
