/**
 * The viewer's label algorithms (src/viewer/app/label-edit.ts): napari's "preserve labels" for paint, erase
 * and fill, and the no-op cases that must not count as edits (issue 16.4). Planes and expected pixels by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paintDisc, floodFill, replaceLabel } from '../src/viewer/app/label-edit.js';

// 5×7 plane: label 2 occupies columns 0..2 of rows 1..3, label 3 column 6.
const plane = () => {
  const d = new Uint32Array(5 * 7);
  for (let y = 1; y <= 3; y++) for (let x = 0; x <= 2; x++) d[y * 7 + x] = 2;
  for (let y = 0; y < 5; y++) d[y * 7 + 6] = 3;
  return { data: d, Y: 5, X: 7 };
};

test('paint with preserve labels changes only background pixels; without it overwrites', () => {
  const a = plane();
  // Disc of diameter 3 centred on pixel (2, 2): the 3×3 block minus nothing (distance² < 2.25 covers the 8-neighbourhood? no: corners have 2)
  const n = paintDisc(a, 2, 2, 3, 9, true);
  // Pixels with dy² + dx² < 2.25 around (2, 2): (2,2) and its 4-neighbours (1,2) (3,2) (2,1) (2,3) and the corners (dist² 2).
  // Of those, label-2 pixels are (1..3, 1..2); background: (1,3), (2,3), (3,3).
  assert.equal(n, 3);
  assert.deepEqual([a.data[1 * 7 + 3], a.data[2 * 7 + 3], a.data[3 * 7 + 3]], [9, 9, 9]);
  assert.equal(a.data[2 * 7 + 2], 2);
  const b = plane();
  assert.equal(paintDisc(b, 2, 2, 3, 9, false), 9);
  assert.equal(b.data[2 * 7 + 2], 9);
});

test('erase with preserve labels removes only the selected label', () => {
  const a = plane();
  a.data[2 * 7 + 5] = 4; // a label-4 pixel next to label 3
  const n = paintDisc(a, 2, 5, 3, 0, true, 3);
  // Within the disc: (1,6) (2,6) (3,6) are label 3 → erased; (2,5) label 4 kept.
  assert.equal(n, 3);
  assert.equal(a.data[2 * 7 + 5], 4);
  assert.equal(a.data[2 * 7 + 6], 0);
});

test('fill with preserve labels fills background only; replacing label 0 or a label by itself changes nothing', () => {
  const a = plane();
  assert.equal(floodFill(a, 2, 1, 7, true), 0, 'a label region is not filled');
  assert.equal(floodFill(a, 0, 0, 7, true), 5 * 7 - 9 - 5);
  const b = plane();
  assert.equal(replaceLabel(b.data, 0, 0), 0);
  assert.equal(replaceLabel(b.data, 2, 2), 0);
  assert.equal(replaceLabel(b.data, 2, 0), 9);
});
