/**
 * Declumping config and object rules on hand-built inputs whose answers follow from geometry (counts of
 * pixels, which objects touch which border), plus "off by default = the original's labels".
 * The kernels against SciPy / scikit-image: segmentation-declump.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigObject } from '../src/config/load-config.js';
import { defaultModelConfig } from '../src/config/schema.js';
import { isCellColocError } from '../src/core/errors.js';
import { segmentThresholdChannel } from '../src/segmentation/threshold-segmentation.js';
import { resolveDeclumpSettings } from '../src/segmentation/declump/declump.js';
import { applyObjectRules, equivalentDiameterUm, fillLabelHoles, relabelRasterOrder } from '../src/segmentation/declump/object-rules.js';
import { labelComponents } from '../src/segmentation/label.js';

const base = { image: 'img.tif', channel_config: { cell_channel: 0, marker_channel: 1 } };

function configError(model: Record<string, unknown>): string {
  try {
    parseConfigObject({ ...base, cell_model_config: { segmentation_method: 'otsu', ...model } }, '/x/run.yaml');
  } catch (e) {
    assert.ok(isCellColocError(e, 'ConfigError'), String(e));
    assert.ok(!(e as Error).message.includes('\n'));
    return (e as Error).message;
  }
  return '';
}

test('config: defaults keep the original chain; declumping needs a typical diameter; one unit only', () => {
  const m = parseConfigObject({ ...base, cell_model_config: { segmentation_method: 'otsu' } }, '/x/run.yaml').cellModelConfig;
  assert.equal(m.declumpMethod, 'none');
  assert.equal(m.fillHoles, false);
  assert.equal(m.excludeBorderObjects, false);
  assert.equal(m.discardOutsideDiameter, false);
  assert.equal(m.typicalDiameterPx, null);
  const ok = parseConfigObject({ ...base, cell_model_config: { segmentation_method: 'otsu', declump_method: 'Shape', typical_diameter_px: [15, 50] } }, '/x/run.yaml');
  assert.equal(ok.cellModelConfig.declumpMethod, 'shape');
  assert.deepEqual(ok.cellModelConfig.typicalDiameterPx, [15, 50]);
  assert.match(configError({ declump_method: 'shape' }), /typical_diameter_px: expected \[min, max\] \(or typical_diameter_um\) because declump_method is shape/);
  assert.match(configError({ discard_outside_diameter: true }), /because discard_outside_diameter is true/);
  assert.match(configError({ typical_diameter_px: [50, 15] }), /typical_diameter_px: expected \[min, max\] with 0 < min <= max/);
  assert.match(configError({ typical_diameter_px: [10, 20], typical_diameter_um: [3, 6] }), /typical_diameter_um: expected only one of/);
  assert.match(configError({ declump_method: 'watershed', typical_diameter_px: [10, 20] }), /declump_method/);
  // Both overrides given: no diameter needed.
  assert.equal(configError({ declump_method: 'intensity', declump_smoothing_px: 3, declump_min_distance_px: 5 }), '');
});

test('settings: CellProfiler automatic rules (S = 2.35·min/3.5, suppression = min/1.5), halved with basin merging; overrides; µm', () => {
  const cp = { segmentationMethod: 'otsu', declumpMethod: 'shape', typicalDiameterPx: [14, 40], declumpMergeNeckPx: 0, declumpMergeContrast: 0 } as const;
  const s = resolveDeclumpSettings(defaultModelConfig({ ...cp, typicalDiameterPx: [14, 40] }), [1, 0.5, 0.5]);
  assert.ok(Math.abs(s.smoothingFilterSizePx - (2.35 * 14) / 3.5) < 1e-12);
  assert.ok(Math.abs(s.minDistancePx - 14 / 1.5) < 1e-12);
  assert.deepEqual(s.diameterUm, [7, 20]);
  assert.ok(Math.abs(s.smoothingSigmaUm - (14 / 3.5) * 0.5) < 1e-12);
  assert.ok(Math.abs(s.minDistanceUm - (14 / 1.5 - 0.5) * 0.5) < 1e-12);
  assert.equal(s.mergeNeckUm, 0);
  const merged = resolveDeclumpSettings(defaultModelConfig({ ...cp, typicalDiameterPx: [14, 40], declumpMergeNeckPx: 2 }), [1, 0.5, 0.5]);
  assert.ok(Math.abs(merged.smoothingFilterSizePx - (0.5 * 2.35 * 14) / 3.5) < 1e-12);
  assert.ok(Math.abs(merged.minDistancePx - 14 / 3) < 1e-12);
  assert.equal(merged.mergeNeckUm, 1);
  assert.equal(merged.mergeContrast, 0);
  const o = resolveDeclumpSettings(
    defaultModelConfig({ segmentationMethod: 'otsu', declumpMethod: 'intensity', typicalDiameterUm: [5, 10], declumpSmoothingPx: 0, declumpMinDistancePx: 4 }),
    [2, 0.25, 0.25],
  );
  assert.equal(o.smoothingSigmaUm, 0);
  assert.equal(o.minDistanceUm, 3.5 * 0.25);
  assert.deepEqual(o.diameterUm, [5, 10]);
});

test('equivalent diameter: disk area and ball volume in µm', () => {
  assert.ok(Math.abs(equivalentDiameterUm(Math.PI * 25, [1, 1, 1], false) - 10) < 1e-12);
  assert.ok(Math.abs(equivalentDiameterUm(Math.PI * 100, [9, 0.5, 0.5], false) - 10) < 1e-12);
  // 3D: 1000 voxels of 0.5 × 0.2 × 0.2 µm = 20 µm³ → ∛(6·20/π).
  assert.ok(Math.abs(equivalentDiameterUm(1000, [0.5, 0.2, 0.2], true) - Math.cbrt(120 / Math.PI)) < 1e-12);
});

const grid = (rows: string[]) => ({
  data: Uint32Array.from(rows.join('').split(''), (c) => (c === '.' ? 0 : Number(c))),
  shape: [1, rows.length, rows[0].length] as [number, number, number],
});

test('object rules: border (array edge and ROI outline), diameter range, holes enclosed by one object only', () => {
  const g = grid([
    '11......',
    '11..222.',
    '....2.2.',
    '....222.',
    '.33.....',
    '.33.4444',
    '....4..4',
    '....4444',
  ]);
  const labels = new Uint32Array(g.data);
  const c = applyObjectRules(labels, g.shape, [1, 1, 1], null, { excludeBorderObjects: true, diameterRangeUm: null, fillHoles: true });
  // 1 and 4 touch the array edge; 2 encloses one hole pixel; 3 is inside.
  assert.equal(c.removedBorder, 2);
  assert.equal(c.holeVoxelsFilled, 1);
  assert.equal(labels[2 * 8 + 5], 2);
  assert.deepEqual([...new Set(labels)].sort(), [0, 2, 3]);
  // ROI outline: a ROI covering columns 0..5 puts object 2 (columns 4..6) on its outline.
  const roi = new Uint8Array(64);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 6; x++) roi[y * 8 + x] = 1;
  const l2 = new Uint32Array(g.data);
  applyObjectRules(l2, g.shape, [1, 1, 1], roi, { excludeBorderObjects: true, diameterRangeUm: null, fillHoles: false });
  assert.deepEqual([...new Set(l2)].sort(), [0, 3]);
  // Diameter: objects 1 and 3 have 4 px (d = 2·√(4/π) ≈ 2.26), object 2 has 8 px (≈ 3.19), object 4 has 10 px (≈ 3.57).
  const l3 = new Uint32Array(g.data);
  const c3 = applyObjectRules(l3, g.shape, [1, 1, 1], null, { excludeBorderObjects: false, diameterRangeUm: [2.5, 3.4], fillHoles: false });
  assert.equal(c3.removedTooSmall, 2); // 1 (4 px) and 3
  assert.equal(c3.removedTooLarge, 1); // 4
  assert.deepEqual([...new Set(l3)].sort(), [0, 2]);
});

test('holes: a hole between two objects stays; the size limit keeps large enclosed background; 3D holes', () => {
  const g = grid([
    '.......',
    '.11122.',
    '.1..22.',
    '.11122.',
    '.......',
  ]);
  const l = new Uint32Array(g.data);
  assert.equal(fillLabelHoles(l, g.shape), 0);
  const ring = grid(['.....', '.111.', '.1.1.', '.111.', '.....']);
  const r1 = new Uint32Array(ring.data);
  assert.equal(fillLabelHoles(r1, ring.shape, 1), 0); // hole of 1 voxel is not < 1
  assert.equal(fillLabelHoles(r1, ring.shape, 2), 1);
  // 3-D: a 3×3×3 cube with its centre empty is filled; open on one face it is not.
  const shape: [number, number, number] = [5, 5, 5];
  const cube = new Uint32Array(125);
  for (let z = 1; z <= 3; z++) for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) cube[z * 25 + y * 5 + x] = 7;
  cube[2 * 25 + 2 * 5 + 2] = 0;
  const open = new Uint32Array(cube);
  open[1 * 25 + 2 * 5 + 2] = 0;
  assert.equal(fillLabelHoles(cube, shape), 1);
  assert.equal(cube[62], 7);
  assert.equal(fillLabelHoles(open, shape), 0);
});

test('relabel: raster order of the first voxel, consecutive ids', () => {
  const l = Uint32Array.from([0, 9, 9, 0, 4, 0, 9, 2]);
  assert.equal(relabelRasterOrder(l), 3);
  assert.deepEqual([...l], [0, 1, 1, 0, 2, 0, 1, 3]);
});

test('threshold chain: declumping off = the original labels; the same mask with rules off but fill_holes=false is unchanged', () => {
  // Two overlapping bright disks on a dark background: one component without declumping.
  const Y = 40, X = 60;
  const img = new Float32Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) {
    const a = (y - 20) ** 2 + (x - 20) ** 2 <= 100;
    const b = (y - 20) ** 2 + (x - 36) ** 2 <= 100;
    img[y * X + x] = a || b ? 100 : 1;
  }
  const crop = { data: img, shape: [1, Y, X] as [number, number, number] };
  const off = segmentThresholdChannel(crop, defaultModelConfig({ segmentationMethod: 'otsu' }));
  const mask = new Uint8Array(Y * X);
  for (let i = 0; i < mask.length; i++) mask[i] = img[i] > 50 ? 1 : 0;
  // the same ids (threshold labels are uint16 when they fit, `LabelData`)
  assert.deepEqual(Array.from(off.labels.data), Array.from(labelComponents(mask, [1, Y, X], 'full').labels));
  assert.equal(off.declump, undefined);
  // Shape declumping splits the pair at the neck (x = 28), one seed per disk; the manifest counts say so.
  const on = segmentThresholdChannel(crop, defaultModelConfig({ segmentationMethod: 'otsu', declumpMethod: 'shape', typicalDiameterPx: [12, 30] }));
  assert.equal(on.declump?.components, 1);
  assert.equal(on.declump?.seeds, 2);
  assert.equal(on.declump?.clumpsSplit, 1);
  assert.equal(on.declump?.objects, 2);
  const d = on.labels.data;
  assert.equal(d[20 * X + 20], 1);
  assert.equal(d[20 * X + 36], 2);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) {
    if (!mask[y * X + x]) assert.equal(d[y * X + x], 0);
    else if (x < 28) assert.equal(d[y * X + x], 1, `(${y}, ${x})`);
    else if (x > 28) assert.equal(d[y * X + x], 2, `(${y}, ${x})`);
  }
});

test('reanalyze: the removal rules re-applied to edited masks (image edge, ROI outline, diameter range), ids kept', async () => {
  const { reapplyObjectRules } = await import('../src/segmentation/declump/reapply.js');
  const { analyzeExistingSingleChannelMasks } = await import('../src/pipeline/single-channel.js');
  const g = grid([
    '11......',
    '11..222.',
    '....2.2.',
    '....222.',
    '.33.....',
    '.33.4444',
    '....4..4',
    '....4444',
  ]);
  // Two ROIs: columns 0..3 (id 1) and 4..7 (id 2); their common outline touches objects 2 and 4 (column 4).
  const roi = { data: new Uint16Array(64), shape: [8, 8] as [number, number] };
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) roi.data[y * 8 + x] = x < 4 ? 1 : 2;
  const cfg = defaultModelConfig({ segmentationMethod: 'otsu', excludeBorderObjects: true, discardOutsideDiameter: true, typicalDiameterPx: [2.5, 3.4] });
  const r = reapplyObjectRules(g, roi, cfg, [1, 1, 1]);
  assert.deepEqual(r.steps.map((s) => [s.step, s.removed]), [
    ['exclude_border_objects', [1, 2, 4]],
    ['discard_outside_diameter', [3]],
  ]);
  assert.deepEqual([...new Set(r.labels.data)], [0]);
  assert.deepEqual(g.data[9 + 4], 2, 'input untouched');
  // Only the image edge with one whole-image ROI: 3 (4 px, d 2.26) is too small, 2 (8 px) stays with its id.
  const full = { data: new Uint16Array(64).fill(1), shape: [8, 8] as [number, number] };
  const image = { data: new Float32Array(64).fill(1), shape: g.shape };
  const res = analyzeExistingSingleChannelMasks({ image, voxelSizeUm: [1, 1, 1], analysisZBounds: null, zProjectionMethod: null, zStack: null } as never, full, g, { minObjectVoxels: 0 }, {
    modelConfig: cfg,
    reapplyObjectRules: true,
  });
  assert.deepEqual([...new Set(res.masks.data)].sort(), [0, 2]);
  assert.deepEqual(res.filterSteps.map((s) => [s.step, s.removed]), [
    ['min_object_voxels', []],
    ['exclude_border_objects', [1, 4]],
    ['discard_outside_diameter', [3]],
  ]);
  // A fresh run does not re-apply them (its segmentation already did).
  const run = analyzeExistingSingleChannelMasks({ image, voxelSizeUm: [1, 1, 1], analysisZBounds: null, zProjectionMethod: null, zStack: null } as never, full, g, { minObjectVoxels: 0 }, { modelConfig: cfg });
  assert.deepEqual([...new Set(run.masks.data)].sort(), [0, 1, 2, 3, 4]);
});

test('border rule through the per-ROI driver: the edge of a ROI filling its box and the outline of one that does not', async () => {
  // 16 × 16, background 10, objects of 100 of at least 10 px (the chain's default removes smaller ones), 2 px or
  // more from their crop's edges unless on purpose (the closing may grow an object by one pixel at a crop edge).
  // ROI 1: columns 0–7 (fills its box: the chain gets no ROI mask, its box edge is the border). ROI 2: columns
  // 8–15 without the notch rows 0–7 × columns 13–15 (an outline inside its box).
  const { segmentChannelByRoi } = await import('../src/segmentation/roi-driver.js');
  const Y = 16;
  const X = 16;
  const data = new Uint16Array(Y * X).fill(10);
  const rect = (y0: number, x0: number, w: number) => {
    for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + w; x++) data[y * X + x] = 100;
  };
  rect(2, 2, 4); // A: inside ROI 1
  rect(9, 4, 4); // C: on ROI 1's right edge (column 7)
  rect(9, 10, 4); // B: inside ROI 2
  rect(2, 10, 3); // E: column 12 is next to the notch (column 13, outside ROI 2)
  const roi = new Uint16Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) roi[y * X + x] = x <= 7 ? 1 : y <= 7 && x >= 13 ? 0 : 2;
  const config = { ...defaultModelConfig({ segmentationMethod: 'otsu' }), excludeBorderObjects: true };
  const r = await segmentChannelByRoi({ data, shape: [1, Y, X] }, { data: roi, shape: [Y, X] }, config, { zBounds: null, voxelSizeUm: [1, 1, 1] });
  const at = (y: number, x: number) => r.labels.data[y * X + x];
  assert.ok(at(3, 3) > 0, 'A kept');
  assert.equal(at(10, 5), 0, 'C removed (ROI 1 box edge)');
  assert.ok(at(10, 11) > 0, 'B kept');
  assert.equal(at(3, 11), 0, 'E removed (ROI 2 outline)');
  assert.equal(new Set(r.labels.data).size - 1, 2);
  assert.deepEqual(r.calls.map((c) => c.info.declump?.removedBorder), [1, 1]);
  // Without the rule all four are there (the removals above are the rule's).
  const all = await segmentChannelByRoi({ data, shape: [1, Y, X] }, { data: roi, shape: [Y, X] }, { ...config, excludeBorderObjects: false }, { zBounds: null, voxelSizeUm: [1, 1, 1] });
  assert.equal(new Set(all.labels.data).size - 1, 4);
});
