import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPostfilters } from '../src/segmentation/postfilters.js';
import { diskFootprint, ballFootprint, reflectIndex } from '../src/segmentation/local-contrast.js';
import { filterLabelsBySize } from '../src/segmentation/size-filter.js';
import type { ModelConfig } from '../src/config/types.js';
import type { LabelVolume, Volume } from '../src/core/volume.js';
import { isCellColocError } from '../src/core/errors.js';

type PF = Parameters<typeof applyPostfilters>[2];

/** Spec 2.4 defaults for the postfilter fields. */
function cfg(over: Partial<ModelConfig>): PF {
  return {
    postfilters: [],
    postfilterMinObjectVoxels: null,
    minIntensityMeasure: 'mean',
    minIntensityThreshold: null,
    localContrastK: 1.0,
    localContrastShellInnerRadius: 1,
    localContrastShellOuterRadius: 4,
    brightPixelMeasure: 'count',
    brightPixelThreshold: null,
    brightPixelMinCount: null,
    brightPixelMinFraction: null,
    ...over,
  };
}

function vol3(shape: [number, number, number], rows: number[]): LabelVolume {
  return { data: Uint32Array.from(rows), shape };
}
function img3(shape: [number, number, number], rows: number[]): Volume<Float32Array> {
  return { data: Float32Array.from(rows), shape };
}
const ids = (l: LabelVolume) => [...new Set(l.data)].filter((v) => v !== 0).sort((a, b) => a - b);

// ------------------------------------------------------------------------------------------
// size filter

test('filterLabelsBySize removes labels with count < min_size, keeps ids, copies', () => {
  // counts: 1 → 2, 2 → 3, 5 → 1
  const l = vol3([1, 2, 3], [1, 1, 0, 2, 2, 2]);
  const l2 = vol3([1, 2, 4], [1, 1, 0, 5, 2, 2, 2, 0]);
  const r = filterLabelsBySize(l2, 3);
  assert.deepEqual(Array.from(r.labels.data), [0, 0, 0, 0, 2, 2, 2, 0]);
  assert.deepEqual(r.removed, [1, 5]);
  assert.deepEqual(Array.from(l2.data), [1, 1, 0, 5, 2, 2, 2, 0], 'input untouched');
  assert.deepEqual(filterLabelsBySize(l, 2).removed, []);
  assert.deepEqual(filterLabelsBySize(l, 0).removed, []);
  assert.deepEqual(filterLabelsBySize(l, 4).removed, [1, 2]);
  // 3D: label 3 spans two planes (2 voxels), label 4 one voxel
  const l3 = vol3([2, 1, 2], [3, 4, 3, 0]);
  assert.deepEqual(filterLabelsBySize(l3, 2).removed, [4]);
  assert.deepEqual(filterLabelsBySize(vol3([1, 1, 2], [0, 0]), 5).removed, []);
});

// ------------------------------------------------------------------------------------------
// min_size

test('min_size postfilter: count < n removed; n = 0 is a no-op; steps record n_in/n_out', () => {
  const l = vol3([2, 2, 2], [1, 1, 2, 0, /* z1 */ 1, 3, 3, 3]);
  const im = img3([2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0]);
  // counts: 1 → 3, 2 → 1, 3 → 3
  const r = applyPostfilters(l, im, cfg({ postfilters: ['min_size'], postfilterMinObjectVoxels: 3 }));
  assert.deepEqual(r.steps, [{ postfilter: 'min_size', nIn: 3, nOut: 2, removed: [2] }]);
  assert.deepEqual(Array.from(r.labels.data), [1, 1, 0, 0, 1, 3, 3, 3]);
  const r4 = applyPostfilters(l, im, cfg({ postfilters: ['min_size'], postfilterMinObjectVoxels: 4 }));
  assert.deepEqual(r4.steps[0].removed, [1, 2, 3]);
  assert.equal(r4.steps[0].nOut, 0);
  const r0 = applyPostfilters(l, im, cfg({ postfilters: ['min_size'], postfilterMinObjectVoxels: 0 }));
  assert.deepEqual(r0.steps[0].removed, []);
  assert.deepEqual(Array.from(l.data), [1, 1, 2, 0, 1, 3, 3, 3], 'input untouched');
});

// ------------------------------------------------------------------------------------------
// min_intensity

test('min_intensity mean / median / max, removed when score <= threshold (2D)', () => {
  // label 1: [10, 20, 60] → mean 30, median 20, max 60; label 2: [10, 40] → mean 25, median 25, max 40
  const l = vol3([1, 2, 3], [1, 1, 1, 2, 2, 0]);
  const im = img3([1, 2, 3], [10, 20, 60, 10, 40, 1000]);
  const run = (m: 'mean' | 'median' | 'max', t: number) =>
    applyPostfilters(l, im, cfg({ postfilters: ['min_intensity'], minIntensityMeasure: m, minIntensityThreshold: t })).steps[0].removed;
  assert.deepEqual(run('mean', 30), [1, 2]); // 30 <= 30: keeping needs strictly greater
  assert.deepEqual(run('mean', 29.999), [2]);
  assert.deepEqual(run('median', 20), [1]);
  assert.deepEqual(run('median', 25), [1, 2]); // even count: mean of the two middle values
  assert.deepEqual(run('median', 24.5), [1]);
  assert.deepEqual(run('max', 40), [2]);
  assert.deepEqual(run('max', 60), [1, 2]);
  assert.deepEqual(run('max', 39), []);
});

test('min_intensity in 3D (upstream test: max measure removes the weak label)', () => {
  // upstream test_apply_postfilters_min_intensity_max_removes_weak_label (2D) …
  const l2 = vol3([1, 3, 3], [1, 1, 0, 0, 2, 2, 0, 0, 0]);
  const i2 = img3([1, 3, 3], [10, 10, 0, 0, 100, 120, 0, 0, 0]);
  const r2 = applyPostfilters(l2, i2, cfg({ postfilters: ['min_intensity'], minIntensityMeasure: 'max', minIntensityThreshold: 50 }));
  assert.deepEqual(ids(r2.labels), [2]);
  // … and a 3D label spread over planes: label 7 = [3, 5, 9, 11] (z0: 3, 5; z1: 9, 11) median 7, mean 7
  const l3 = vol3([2, 2, 2], [7, 7, 0, 8, /* z1 */ 7, 7, 8, 0]);
  const i3 = img3([2, 2, 2], [3, 5, 99, 8, 9, 11, 8, 99]);
  const r3 = applyPostfilters(l3, i3, cfg({ postfilters: ['min_intensity'], minIntensityMeasure: 'median', minIntensityThreshold: 7 }));
  assert.deepEqual(r3.steps[0].removed, [7]);
  const r3b = applyPostfilters(l3, i3, cfg({ postfilters: ['min_intensity'], minIntensityMeasure: 'mean', minIntensityThreshold: 6.9 }));
  assert.deepEqual(r3b.steps[0].removed, []);
});

// ------------------------------------------------------------------------------------------
// bright_pixel_support

test('bright_pixel_support count and fraction (bright = intensity > threshold)', () => {
  // upstream test_apply_postfilters_bright_pixel_fraction_removes_sparse_object
  const l = vol3([1, 3, 3], [1, 1, 0, 0, 2, 2, 0, 0, 0]);
  const im = img3([1, 3, 3], [100, 0, 0, 0, 200, 200, 0, 0, 0]);
  const frac = applyPostfilters(
    l,
    im,
    cfg({ postfilters: ['bright_pixel_support'], brightPixelMeasure: 'fraction', brightPixelThreshold: 50, brightPixelMinFraction: 0.75 }),
  );
  assert.deepEqual(frac.steps[0].removed, [1]); // 1/2 < 0.75; 2/2 kept
  const half = applyPostfilters(
    l,
    im,
    cfg({ postfilters: ['bright_pixel_support'], brightPixelMeasure: 'fraction', brightPixelThreshold: 50, brightPixelMinFraction: 0.5 }),
  );
  assert.deepEqual(half.steps[0].removed, []); // 0.5 >= 0.5 kept
  // count mode in 3D: label 4 has values 100 (equal to threshold: not bright), 101, 150 → 2 bright
  const l3 = vol3([3, 1, 1], [4, 4, 4]);
  const i3 = img3([3, 1, 1], [100, 101, 150]);
  const count = (c: number) =>
    applyPostfilters(l3, i3, cfg({ postfilters: ['bright_pixel_support'], brightPixelThreshold: 100, brightPixelMinCount: c })).steps[0].removed;
  assert.deepEqual(count(2), []);
  assert.deepEqual(count(3), [4]);
  assert.deepEqual(count(2.9), [], 'the original compares with int(min_count)');
});

// ------------------------------------------------------------------------------------------
// local_contrast

test('upstream test: local_contrast keeps the bright object and removes the dim one (bbox-restricted shell, Q15)', () => {
  const Y = 9, X = 9;
  const labels = new Uint32Array(Y * X);
  const image = new Float32Array(Y * X);
  labels[4 * X + 4] = 1;
  for (let y = 0; y < 3; y++) labels[y * X + 0] = 2;
  for (let x = 0; x < 3; x++) labels[2 * X + x] = 2;
  image[4 * X + 4] = 50;
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) image[y * X + x] = 5;
  for (let y = 0; y < 3; y++) image[y * X + 0] = 1;
  for (let x = 0; x < 3; x++) image[2 * X + x] = 1;
  const r = applyPostfilters(
    { data: labels, shape: [1, Y, X] },
    { data: image, shape: [1, Y, X] },
    cfg({ postfilters: ['local_contrast'], localContrastK: 1, localContrastShellInnerRadius: 1, localContrastShellOuterRadius: 2 }),
  );
  // Label 1 is one pixel: its 1×1 bbox has no room for a shell → kept.
  // Label 2 (an L in a 3×3 bbox): shell = {(0, 2)} (distance 2 from (0,0), not 4-adjacent to the L),
  // value 5; object median 1 <= 5 + 1·0 → removed.
  assert.deepEqual(r.steps, [{ postfilter: 'local_contrast', nIn: 2, nOut: 1, removed: [2] }]);
  assert.deepEqual(ids(r.labels), [1]);
});

test('local_contrast is order dependent: labels removed earlier become background (Q16)', () => {
  // row0: L L L / row1: L s s / row2: L s .   (L = the L-shaped object, s = small object)
  // image:  4 4 4 /         4 5 5 /         4 5 50
  const image = img3([1, 3, 3], [4, 4, 4, 4, 5, 5, 4, 5, 50]);
  const p = cfg({ postfilters: ['local_contrast'], localContrastK: 1, localContrastShellInnerRadius: 0, localContrastShellOuterRadius: 1 });
  // s = 1, L = 2: s first. s's bbox 2×2, shell = {(2,2)} = 50 → 5 <= 50 → removed. Then L's bbox 3×3
  // background = s's old pixels + (2,2); 4-adjacent to L: (1,1), (1,2), (2,1) → shell values 5,5,5,
  // bm 5, mad 0 → 4 <= 5 → removed too.
  const a = applyPostfilters(vol3([1, 3, 3], [2, 2, 2, 2, 1, 1, 2, 1, 0]), image, p);
  assert.deepEqual(a.steps[0].removed, [1, 2]);
  // L = 1, s = 2: L first, while s still occupies the concavity: only (2,2) is background and it is
  // not 4-adjacent to L → empty shell → kept. Then s is removed as before.
  const b = applyPostfilters(vol3([1, 3, 3], [1, 1, 1, 1, 2, 2, 1, 2, 0]), image, p);
  assert.deepEqual(b.steps[0].removed, [2]);
  assert.deepEqual(ids(b.labels), [1]);
});

test('local_contrast in 3D uses ball(r) and median/MAD of the shell', () => {
  // Z=2, Y=1, X=3; object 1 at (0,0,0) and (1,0,2) (bbox = whole image), inner 0, outer 1:
  // every other voxel is 6-adjacent to the object → shell values [8, 9, 12, 20]:
  // bm = (9 + 12)/2 = 10.5, |dev| = [2.5, 1.5, 1.5, 9.5] → mad = (1.5 + 2.5)/2 = 2. Object median 10.
  const l = vol3([2, 1, 3], [1, 0, 0, /* z1 */ 0, 0, 1]);
  const im = img3([2, 1, 3], [10, 8, 9, /* z1 */ 12, 20, 10]);
  const run = (k: number) =>
    applyPostfilters(l, im, cfg({ postfilters: ['local_contrast'], localContrastK: k, localContrastShellInnerRadius: 0, localContrastShellOuterRadius: 1 }))
      .steps[0].removed;
  assert.deepEqual(run(0), [1]); // 10 <= 10.5
  assert.deepEqual(run(-0.25), [1]); // 10 <= 10.5 − 0.25·2 = 10 (boundary: removed)
  assert.deepEqual(run(-0.3), []); // 10 > 10.5 − 0.6 = 9.9 → kept
  // With inner radius 1 every non-object voxel is within the inner ball → empty shell → kept.
  assert.deepEqual(
    applyPostfilters(l, im, cfg({ postfilters: ['local_contrast'], localContrastK: 0, localContrastShellInnerRadius: 1, localContrastShellOuterRadius: 2 }))
      .steps[0].removed,
    [],
  );
});

test('skimage footprints: disk(r) / ball(r) use x² + y² (+ z²) <= r²', () => {
  const rows = (r: number) => {
    const f = diskFootprint(r);
    const n = 2 * r + 1;
    return Array.from({ length: n }, (_, y) => Array.from(f.data.slice(y * n, y * n + n)).join(''));
  };
  assert.deepEqual(rows(1), ['010', '111', '010']);
  assert.deepEqual(rows(2), ['00100', '01110', '11111', '01110', '00100']);
  // skimage.morphology.disk(4) (0.19): 49 ones
  assert.deepEqual(rows(4), ['000010000', '001111100', '011111110', '011111110', '111111111', '011111110', '011111110', '001111100', '000010000']);
  const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
  assert.equal(sum(diskFootprint(4).data), 49);
  assert.equal(sum(diskFootprint(3).data), 29);
  // ball(1) = 7 (centre + 6 faces), ball(2) = 33, ball(4) = 257 (lattice points in a sphere)
  assert.equal(sum(ballFootprint(1).data), 7);
  assert.equal(sum(ballFootprint(2).data), 33);
  assert.equal(sum(ballFootprint(4).data), 257);
});

test("scipy 'reflect' border: half-sample symmetric, period 2·len, len 1 → 0", () => {
  // len 3: … 2 1 0 | 0 1 2 | 2 1 0 | 0 1 …
  assert.deepEqual([-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7].map((c) => reflectIndex(c, 3)), [0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1]);
  assert.deepEqual([-3, -1, 1, 4].map((c) => reflectIndex(c, 1)), [0, 0, 0, 0]);
  assert.deepEqual([-4, -3, -2, -1, 2, 3, 4, 5].map((c) => reflectIndex(c, 2)), [0, 1, 1, 0, 1, 0, 0, 1]);
});

test('filters run in config order and later filters see earlier removals', () => {
  // label 1: 2 voxels [100, 100]; label 2: 3 voxels [10, 10, 10]; label 3: 3 voxels [100, 5, 5]
  const l = vol3([1, 2, 4], [1, 1, 2, 2, 2, 3, 3, 3]);
  const im = img3([1, 2, 4], [100, 100, 10, 10, 10, 100, 5, 5]);
  const r = applyPostfilters(
    l,
    im,
    cfg({
      postfilters: ['min_size', 'min_intensity', 'bright_pixel_support'],
      postfilterMinObjectVoxels: 3,
      minIntensityMeasure: 'max',
      minIntensityThreshold: 50,
      brightPixelMeasure: 'fraction',
      brightPixelThreshold: 50,
      brightPixelMinFraction: 0.5,
    }),
  );
  assert.deepEqual(r.steps, [
    { postfilter: 'min_size', nIn: 3, nOut: 2, removed: [1] },
    { postfilter: 'min_intensity', nIn: 2, nOut: 1, removed: [2] },
    { postfilter: 'bright_pixel_support', nIn: 1, nOut: 0, removed: [3] },
  ]);
  assert.equal(ids(r.labels).length, 0);
  const none = applyPostfilters(l, im, cfg({ postfilters: [] }));
  assert.deepEqual(none.steps, []);
  assert.deepEqual(Array.from(none.labels.data), Array.from(l.data));
  assert.notEqual(none.labels.data, l.data, 'always a copy');
});

// ------------------------------------------------------------------------------------------
// validation

test('validation errors name the config key (keyPrefix option, default model_config)', () => {
  const l = vol3([1, 1, 2], [1, 0]);
  const im = img3([1, 1, 2], [1, 1]);
  const msg = (over: Partial<ModelConfig>, prefix?: string): string => {
    try {
      applyPostfilters(l, im, cfg(over), prefix === undefined ? {} : { keyPrefix: prefix });
    } catch (e) {
      assert.ok(isCellColocError(e, 'ValueError'), String(e));
      return (e as Error).message;
    }
    throw new Error('expected a ValueError');
  };
  assert.equal(
    msg({ postfilters: ['min_size'] }, 'cell_model_config'),
    'cell_model_config.postfilter_min_object_voxels is required by the min_size postfilter',
  );
  assert.equal(msg({ postfilters: ['min_size'] }), 'model_config.postfilter_min_object_voxels is required by the min_size postfilter');
  assert.equal(
    msg({ postfilters: ['min_size'], postfilterMinObjectVoxels: -1 }),
    'model_config.postfilter_min_object_voxels must be a number >= 0 for the min_size postfilter, got -1',
  );
  assert.equal(
    msg({ postfilters: ['min_intensity'] }, 'marker_model_config'),
    'marker_model_config.min_intensity_threshold is required by the min_intensity postfilter',
  );
  assert.equal(
    msg({ postfilters: ['min_intensity'], minIntensityThreshold: 1, minIntensityMeasure: 'mode' as never }),
    "model_config.min_intensity_measure must be 'mean', 'median' or 'max', got 'mode'",
  );
  assert.equal(
    msg({ postfilters: ['local_contrast'], localContrastShellInnerRadius: 4, localContrastShellOuterRadius: 4 }),
    'model_config.local_contrast_shell_inner_radius and model_config.local_contrast_shell_outer_radius must be integers with 0 <= inner < outer, got inner=4, outer=4',
  );
  assert.match(msg({ postfilters: ['local_contrast'], localContrastShellInnerRadius: -1 }), /got inner=-1, outer=4$/);
  assert.equal(
    msg({ postfilters: ['bright_pixel_support'] }),
    'model_config.bright_pixel_threshold is required by the bright_pixel_support postfilter',
  );
  assert.equal(
    msg({ postfilters: ['bright_pixel_support'], brightPixelThreshold: 5 }),
    "model_config.bright_pixel_min_count is required by the bright_pixel_support postfilter with bright_pixel_measure 'count'",
  );
  assert.equal(
    msg({ postfilters: ['bright_pixel_support'], brightPixelThreshold: 5, brightPixelMinCount: -2 }),
    'model_config.bright_pixel_min_count must be >= 0, got -2',
  );
  assert.equal(
    msg({ postfilters: ['bright_pixel_support'], brightPixelThreshold: 5, brightPixelMeasure: 'fraction' }),
    "model_config.bright_pixel_min_fraction is required by the bright_pixel_support postfilter with bright_pixel_measure 'fraction'",
  );
  assert.equal(
    msg({ postfilters: ['bright_pixel_support'], brightPixelThreshold: 5, brightPixelMeasure: 'fraction', brightPixelMinFraction: 1.5 }),
    'model_config.bright_pixel_min_fraction must be within [0, 1], got 1.5',
  );
  assert.equal(
    msg({ postfilters: ['bright_pixel_support'], brightPixelThreshold: 5, brightPixelMeasure: 'ratio' as never }),
    "model_config.bright_pixel_measure must be 'count' or 'fraction', got 'ratio'",
  );
  assert.equal(
    msg({ postfilters: ['sharpness' as never] }),
    "model_config.postfilters contains unsupported value 'sharpness'; expected one of min_size, min_intensity, local_contrast, bright_pixel_support",
  );
  // parameters of filters that are not listed are not checked (as the original)
  assert.doesNotThrow(() => applyPostfilters(l, im, cfg({ postfilters: ['min_size'], postfilterMinObjectVoxels: 1, localContrastShellInnerRadius: 9 })));
  assert.throws(
    () => applyPostfilters(l, img3([1, 2, 1], [1, 1]), cfg({ postfilters: [] })),
    (e) => isCellColocError(e, 'ValueError') && e.message === 'applyPostfilters: intensity image shape (1, 2, 1) does not match label image shape (1, 1, 2)',
  );
});
