import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { caseDir, readTiffPagesReference } from './helpers/fixtures.js';
import { createFullImageRoiLabels } from '../src/roi/full-image.js';
import { getBbox2d, getRoiLabelPoints, roiAreas, roiIds } from '../src/roi/roi-geometry.js';
import type { RoiLabels } from '../src/core/volume.js';
import { isCellColocError } from '../src/core/errors.js';
import { resolveRoiLabels } from '../src/roi/resolve-rois.js';
import { indexRois } from '../src/roi/roi-index.js';

test('createFullImageRoiLabels: all ones, uint16, shape [y, x]', () => {
  const roi = createFullImageRoiLabels([3, 5]);
  assert.ok(roi.data instanceof Uint16Array);
  assert.deepEqual(roi.shape, [3, 5]);
  assert.equal(roi.data.length, 15);
  assert.ok(roi.data.every((v) => v === 1));
  assert.deepEqual(roiIds(roi), [1]);
  assert.deepEqual(getBbox2d(roi.data, roi.shape), { yMin: 0, yMax: 3, xMin: 0, xMax: 5 });
  assert.throws(() => createFullImageRoiLabels([0, 5]), (e) => isCellColocError(e, 'ValueError'));
});

test('rois: full — the index remembered without a scan equals the index of the same pixels scanned', async () => {
  const roi = await resolveRoiLabels({ rois: { kind: 'full' } }, [7, 33]);
  assert.ok(roi.data.every((v) => v === 1));
  // a copy of the pixels is a raster the index has never seen: indexRois scans it
  const scanned = indexRois({ data: roi.data.slice(), shape: roi.shape });
  assert.deepEqual(indexRois(roi), scanned);
  assert.deepEqual(scanned, { ids: [1], areaPx: [7 * 33], boxes: [{ yMin: 0, yMax: 7, xMin: 0, xMax: 33 }] });
});

test('getBbox2d: half-open box of non-zero pixels, null when empty', () => {
  // 4×5 mask with pixels at (1,3) and (2,1)
  const m = new Uint8Array(20);
  m[1 * 5 + 3] = 1;
  m[2 * 5 + 1] = 1;
  assert.deepEqual(getBbox2d(m, [4, 5]), { yMin: 1, yMax: 3, xMin: 1, xMax: 4 });
  assert.equal(getBbox2d(new Uint8Array(20), [4, 5]), null);
  assert.throws(() => getBbox2d(m, [4, 4]), (e) => isCellColocError(e, 'ValueError'));
});

test('roiIds / roiAreas / getRoiLabelPoints on a hand-made raster', () => {
  // ids 7 and 2 (not contiguous, not in order of appearance)
  // row0: 7 7 0
  // row1: 0 2 0
  // row2: 2 2 2
  const roi: RoiLabels = { data: Uint16Array.from([7, 7, 0, 0, 2, 0, 2, 2, 2]), shape: [3, 3] };
  assert.deepEqual(roiIds(roi), [2, 7]);
  assert.deepEqual([...roiAreas(roi)], [[2, 4], [7, 2]]);
  const p = getRoiLabelPoints(roi);
  assert.deepEqual(p.labels, ['ROI 2', 'ROI 7']);
  // ROI 2: y = (1+2+2+2)/4 = 1.75, x = (1+0+1+2)/4 = 1; ROI 7: y = 0, x = 0.5
  assert.deepEqual(p.points, [[1.75, 1], [0, 0.5]]);
  const empty = getRoiLabelPoints({ data: new Uint16Array(4), shape: [2, 2] });
  assert.deepEqual(empty, { points: [], labels: [] });
});

test('fixture roi_labels.tif: ids, areas (README) and per-ROI boxes', async () => {
  const t = await readTiffPagesReference(join(caseDir('2d_two_channel_li_percentile_rois'), 'expected', 'roi_labels.tif'));
  const roi: RoiLabels = { data: t.data as Uint16Array, shape: [t.height, t.width] };
  assert.deepEqual(roiIds(roi), [1, 2, 3]);
  // README: ROI 1 = 11819 px, ROI 2 = 9540 px, ROI 3 = 12000 px
  assert.deepEqual([...roiAreas(roi)], [[1, 11819], [2, 9540], [3, 12000]]);
  // thresholds.json crop shapes: ROI 1 (119, 123), ROI 2 (106, 90); ROI 3 is the rectangle
  // y 69..188, x 146..245 (120 × 100 = 12000).
  const mask = (id: number) => Uint8Array.from(roi.data, (v) => (v === id ? 1 : 0));
  const b1 = getBbox2d(mask(1), roi.shape)!;
  assert.deepEqual([b1.yMax - b1.yMin, b1.xMax - b1.xMin], [119, 123]);
  const b2 = getBbox2d(mask(2), roi.shape)!;
  assert.deepEqual([b2.yMax - b2.yMin, b2.xMax - b2.xMin], [106, 90]);
  assert.deepEqual(getBbox2d(mask(3), roi.shape), { yMin: 69, yMax: 189, xMin: 146, xMax: 246 });
  // ROI 3 is a full rectangle, so its mean position is the rectangle centre
  const p = getRoiLabelPoints(roi);
  assert.deepEqual(p.labels, ['ROI 1', 'ROI 2', 'ROI 3']);
  assert.deepEqual(p.points[2], [128.5, 195.5]);
});
