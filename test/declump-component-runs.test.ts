/**
 * Run-level component facts that let declumping leave components whole (`declump/component-runs.ts`), on
 * hand-drawn masks whose answers follow from the drawing: boxes and pixel counts, rings (one hole each, also
 * when the hole is closed only diagonally: 4-connected background), C shapes (no hole), and components
 * connected only through a corner (8- but not 4-connected).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRuns, resolveComponents } from '../src/segmentation/runs.js';
import { componentRunStats } from '../src/segmentation/declump/component-runs.js';

function stats(rows: string[]) {
  const Y = rows.length;
  const X = rows[0].length;
  const mask = new Uint8Array(Y * X);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (mask[y * X + x] = ch === '#' ? 1 : 0)));
  const runs = findRuns(mask, [1, Y, X], 1);
  const count = resolveComponents(runs, [1, Y, X], 'full');
  return { count, ...componentRunStats(runs, [1, Y, X], count) };
}

test('component runs: boxes, pixel counts, holes by Euler number, face connectivity', () => {
  const s = stats([
    '..........................',
    '.#####....####....###.....',
    '.#...#....#.......#.#.....',
    '.#####....####....###.....',
    '..........................',
    '.###.......#.......##.##..',
    '.#.#........#......##.##..',
    '.###...........###........',
    '..............#..#........',
    '...............##.........',
  ]);
  // Raster order of first pixels: big ring, C, small ring, solid 3x3 ring, diagonal pair, 2x2 block, 2x2
  // block, diagonal ring.
  assert.equal(s.count, 8);
  const box = (c: number) => [...s.boxes.subarray(6 * c, 6 * c + 6)];
  assert.deepEqual(box(1), [0, 1, 1, 4, 1, 6]);
  assert.deepEqual(box(2), [0, 1, 1, 4, 10, 14]);
  assert.deepEqual(box(5), [0, 1, 5, 7, 11, 13]);
  assert.deepEqual([...s.voxels.subarray(1)], [12, 9, 8, 8, 2, 4, 4, 7]);
  // Holes: the rings (8-connected outline, 4-connected inside) have one, the C and the blocks none.
  assert.deepEqual([...s.holeFree.subarray(1)], [0, 1, 0, 0, 1, 1, 1, 0]);
  // The diagonal pair and the diagonal ring are connected only through corners.
  assert.deepEqual([...s.faceConnected.subarray(1)], [1, 1, 1, 1, 0, 1, 1, 0]);
});

test('component runs: a stack makes no hole claim; z faces connect', () => {
  // Two planes: a pixel in each, one above the other (face-connected), and a diagonal pair across planes.
  const Z = 2, Y = 3, X = 4;
  const mask = new Uint8Array(Z * Y * X);
  mask[0 * 12 + 0 * 4 + 0] = 1;
  mask[1 * 12 + 0 * 4 + 0] = 1;
  mask[0 * 12 + 2 * 4 + 2] = 1;
  mask[1 * 12 + 1 * 4 + 3] = 1;
  const runs = findRuns(mask, [Z, Y, X], 1);
  const count = resolveComponents(runs, [Z, Y, X], 'full');
  const s = componentRunStats(runs, [Z, Y, X], count);
  assert.equal(count, 2);
  assert.deepEqual([...s.voxels.subarray(1)], [2, 2]);
  assert.deepEqual([...s.holeFree.subarray(1)], [0, 0]);
  assert.deepEqual([...s.faceConnected.subarray(1)], [1, 0]);
  assert.deepEqual([...s.boxes.subarray(6, 12)], [0, 2, 0, 1, 0, 1]);
});
