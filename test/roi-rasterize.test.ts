import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseDir, readJson, readTiffPagesReference } from './helpers/fixtures.js';
import { rasterizeShapesToLabels, pointInPathMpl } from '../src/roi/rasterize-shapes.js';
import type { RoiShape } from '../src/config/types.js';
import { isCellColocError } from '../src/core/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const CASE = '2d_two_channel_li_percentile_rois';

function countId(data: Uint16Array, id: number): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === id) n++;
  return n;
}

async function fixtureRoi(): Promise<Uint16Array> {
  const t = await readTiffPagesReference(join(caseDir(CASE), 'expected', 'roi_labels.tif'));
  assert.equal(t.height, 256);
  assert.equal(t.width, 256);
  return t.data as Uint16Array;
}

/** Pixels where the expected raster has id (or our raster has id) must agree exactly. */
function assertSameForId(ours: Uint16Array, expected: Uint16Array, id: number): void {
  let mismatches = 0;
  for (let i = 0; i < expected.length; i++) if ((expected[i] === id) !== (ours[i] === id)) mismatches++;
  assert.equal(mismatches, 0, `ROI ${id}: ${mismatches} pixels differ from the original's raster`);
}

test('fixture polygon + rectangle in pixel units (scale 1) reproduce roi_labels.tif for ROI 1 and 2', async () => {
  const cfg = readJson(join(caseDir(CASE), 'config.json'));
  const shapes: RoiShape[] = cfg.roi.shapes.map((s: any) => ({ type: s.napari_shape_type, data: s.data_yx_px }));
  const expected = await fixtureRoi();
  const roi = rasterizeShapesToLabels(shapes, [256, 256]);
  assert.deepEqual(roi.shape, [256, 256]);
  assertSameForId(roi.data, expected, 1);
  assertSameForId(roi.data, expected, 2);
  // README: ROI 1 = 11819 px, ROI 2 = 9540 px.
  assert.equal(countId(roi.data, 1), 11819);
  assert.equal(countId(roi.data, 2), 9540);
});

test('fixture napari world coordinates (float32) with scale 0.5 give the same raster', async () => {
  const cfg = readJson(join(caseDir(CASE), 'config.json'));
  const world: [number, number][][] = cfg.roi.napari_data_world_yx_float32;
  const types = cfg.roi.shapes.map((s: any) => s.napari_shape_type);
  const shapes: RoiShape[] = world.map((d, i) => ({ type: types[i], data: d }));
  const expected = await fixtureRoi();
  const roi = rasterizeShapesToLabels(shapes, [256, 256], [0.5, 0.5]);
  assertSameForId(roi.data, expected, 1);
  assertSameForId(roi.data, expected, 2);
});

test('fixture ellipse is rasterised as a true ellipse (fix Q35), not the bounding rectangle', async () => {
  const cfg = readJson(join(caseDir(CASE), 'config.json'));
  const shapes: RoiShape[] = cfg.roi.shapes.map((s: any) => ({ type: s.napari_shape_type, data: s.data_yx_px }));
  const roi = rasterizeShapesToLabels(shapes, [256, 256]);
  // Centre (128.5, 195.5), radii (60, 50): inside when ((y-128.5)/60)² + ((x-195.5)/50)² <= 1,
  // i.e. in integers ((2y-257)·50)² + ((2x-391)·60)² <= 6000².
  let brute = 0;
  let mismatch = 0;
  for (let y = 0; y < 256; y++)
    for (let x = 0; x < 256; x++) {
      const inside = ((2 * y - 257) * 50) ** 2 + ((2 * x - 391) * 60) ** 2 <= 6000 ** 2;
      if (inside) brute++;
      // ROI 3 is drawn last, so it owns every pixel of its ellipse.
      if (inside !== (roi.data[y * 256 + x] === 3)) mismatch++;
    }
  assert.equal(mismatch, 0);
  assert.equal(countId(roi.data, 3), brute);
  assert.ok(brute < 12000, 'smaller than the original bounding-rectangle ROI of 12000 px');
  // area ≈ π·60·50 ≈ 9424.8
  assert.ok(Math.abs(brute - Math.PI * 60 * 50) < 60);
  // bounding-box corners (nearest pixel centres inside the corner points) are outside
  for (const [y, x] of [[69, 146], [188, 146], [188, 245], [69, 245]]) assert.equal(roi.data[y * 256 + x], 0);
  // the four axis end points (1 px inside) are inside
  for (const [y, x] of [[69, 195], [188, 196], [128, 146], [129, 245]]) assert.equal(roi.data[y * 256 + x], 3);
});

test('rotated ellipse uses the box sides as axes', () => {
  // A 45°-rotated square box with half-diagonal 10 → circle of radius 10/√2·√2... corners at distance 10
  // from the centre (20, 20): sides have length 10√2, so the inscribed circle has radius 5√2 (r² = 50).
  const shapes: RoiShape[] = [{ type: 'ellipse', data: [[10, 20], [20, 30], [30, 20], [20, 10]] }];
  const roi = rasterizeShapesToLabels(shapes, [41, 41]);
  let brute = 0;
  for (let y = 0; y < 41; y++)
    for (let x = 0; x < 41; x++) {
      const inside = (y - 20) ** 2 + (x - 20) ** 2 <= 50;
      if (inside) brute++;
      assert.equal(roi.data[y * 41 + x] === 1, inside, `pixel (${y}, ${x})`);
    }
  assert.equal(brute, 161); // lattice points in a disc of r² = 50 (Gauss circle count)
  // corners of the rotated box are outside
  for (const [y, x] of [[10, 20], [20, 30], [30, 20], [20, 10]]) assert.equal(roi.data[y * 41 + x], 0);
});

test('rotated rectangle and overlapping shapes: later shape wins, ids by position', () => {
  // Square rotated 45°, corners at half-integers so no pixel centre is on an edge:
  // |y - 10| + |x - 10| < 6 (the diamond through (4.5,10),(10,15.5),(15.5,10),(10,4.5)) → |dy|+|dx| <= 5.
  const diamond: [number, number][] = [[4.5, 10], [10, 15.5], [15.5, 10], [10, 4.5]];
  const square: [number, number][] = [[9.5, 9.5], [9.5, 20.5], [20.5, 20.5], [20.5, 9.5]];
  const roi = rasterizeShapesToLabels(
    [
      { type: 'rectangle', data: diamond },
      { type: 'polygon', data: [[0, 0], [1, 1]] }, // < 3 vertices: covers nothing, keeps id 2
      { type: 'rectangle', data: square },
    ],
    [24, 24],
  );
  let n1 = 0, n3 = 0;
  for (let y = 0; y < 24; y++)
    for (let x = 0; x < 24; x++) {
      const inDiamond = Math.abs(y - 10) + Math.abs(x - 10) <= 5;
      const inSquare = y >= 10 && y <= 20 && x >= 10 && x <= 20;
      const want = inSquare ? 3 : inDiamond ? 1 : 0;
      assert.equal(roi.data[y * 24 + x], want, `pixel (${y}, ${x})`);
      if (want === 1) n1++;
      if (want === 3) n3++;
    }
  // diamond has 2·5² + 2·5 + 1 = 61 pixels, 21 of them (|dy|+|dx| <= 5 with dy,dx >= 0) under the square
  assert.equal(n1, 61 - 21);
  assert.equal(n3, 121);
  assert.equal(countId(roi.data, 2), 0);
});

test('matches real matplotlib contains_points on edge/vertex pixels (test/data/roi, scripts/make_roi_raster_fixtures.py)', () => {
  const dir = join(here, 'data', 'roi');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const doc = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const [Y, X] = doc.image_shape_yx;
    const roi = rasterizeShapesToLabels(doc.shapes, [Y, X], doc.scale_yx);
    const rows: string[] = doc.expected_rows;
    for (let y = 0; y < Y; y++) {
      let got = '';
      for (let x = 0; x < X; x++) got += String(roi.data[y * X + x]);
      assert.equal(got, rows[y], `${f} row ${y}`);
    }
    // The per-pixel reference port agrees with the column-wise rasteriser for the last shape.
    const last = doc.shapes[doc.shapes.length - 1];
    const a = last.data.map((v: number[]) => v[0] / doc.scale_yx[0]);
    const b = last.data.map((v: number[]) => v[1] / doc.scale_yx[1]);
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        if (pointInPathMpl(a, b, y, x)) assert.equal(roi.data[y * X + x], doc.shapes.length, `${f} (${y}, ${x})`);
      }
  }
});

test('column-wise rasteriser equals the per-pixel matplotlib port on random polygons', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 60; trial++) {
    const n = 3 + Math.floor(rnd() * 9);
    // Mix integer, half-integer and arbitrary coordinates.
    const q = trial % 3 === 0 ? 1 : trial % 3 === 1 ? 2 : 1000;
    const data: [number, number][] = [];
    for (let k = 0; k < n; k++) data.push([Math.round((rnd() * 34 - 2) * q) / q, Math.round((rnd() * 34 - 2) * q) / q]);
    const roi = rasterizeShapesToLabels([{ type: 'polygon', data }], [30, 30]);
    const a = data.map((v) => v[0]);
    const b = data.map((v) => v[1]);
    for (let y = 0; y < 30; y++)
      for (let x = 0; x < 30; x++) assert.equal(roi.data[y * 30 + x] === 1, pointInPathMpl(a, b, y, x), `trial ${trial} (${y}, ${x})`);
  }
});

test('validation: more than 65535 shapes, bad scale, ellipse without 4 corners, non-finite vertex', () => {
  const many: RoiShape[] = Array.from({ length: 65536 }, () => ({ type: 'polygon', data: [] }));
  assert.throws(() => rasterizeShapesToLabels(many, [4, 4]), (e) => isCellColocError(e, 'ValueError') && /65536 shapes; at most 65535/.test(e.message));
  assert.throws(() => rasterizeShapesToLabels([], [4, 4], [0, 1]), (e) => isCellColocError(e, 'ValueError') && /scale_yx/.test(e.message));
  assert.throws(
    () => rasterizeShapesToLabels([{ type: 'ellipse', data: [[0, 0], [1, 1], [2, 0]] }], [4, 4]),
    (e) => isCellColocError(e, 'ValueError') && e.message === 'rois.shapes[0] is an ellipse and needs its 4 bounding-box corners, got 3 vertices',
  );
  assert.throws(
    () => rasterizeShapesToLabels([{ type: 'polygon', data: [[0, 0], [1, NaN], [2, 0]] }], [4, 4]),
    (e) => isCellColocError(e, 'ValueError') && /rois\.shapes\[0\]\.data\[1\]/.test(e.message),
  );
  // 65535 empty shapes are fine
  const ok = rasterizeShapesToLabels(many.slice(0, 65535), [4, 4]);
  assert.equal(countId(ok.data, 0), 16);
});

test('shape entirely outside the image is skipped but keeps its id slot', () => {
  const roi = rasterizeShapesToLabels(
    [
      { type: 'polygon', data: [[-10, -10], [-10, -5], [-5, -5]] },
      { type: 'rectangle', data: [[0.5, 0.5], [0.5, 2.5], [2.5, 2.5], [2.5, 0.5]] },
    ],
    [4, 4],
  );
  assert.deepEqual(Array.from(roi.data), [0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 0, 0, 0]);
});
