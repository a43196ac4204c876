/**
 * Run-level component facts that let declumping leave components whole (`declump/component-runs.ts`), on
 * hand-drawn masks whose answers follow from the drawing: boxes and pixel counts, rings (one hole each, also
 * when the hole is closed only diagonally: 4-connected background), C shapes (no hole), and components
 * connected only through a corner (8- but not 4-connected).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRuns, resolveComponents } from '../src/segmentation/runs.js';
import { componentRunStats, faceConnectedRuns } from '../src/segmentation/declump/component-runs.js';
import { componentRunIndex } from '../src/segmentation/declump/convex-hull.js';

function stats(rows: string[]) {
  const Y = rows.length;
  const X = rows[0].length;
  const mask = new Uint8Array(Y * X);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (mask[y * X + x] = ch === '#' ? 1 : 0)));
  const runs = findRuns(mask, [1, Y, X], 1);
  const rowPairs = new Int32Array(runs.count);
  const count = resolveComponents(runs, [1, Y, X], 'full', rowPairs);
  const index = componentRunIndex(runs, count, Y);
  const faceOf = (c: number) => faceConnectedRuns(runs, index.runsOf, index.rowOf, index.runStart[c], index.runStart[c + 1]);
  // The hole facts from the pairs counted while labelling must be those of the stats' own walk.
  const counted = componentRunStats(runs, [1, Y, X], count, { rowPairs });
  return { count, faceOf, holeFreeCounted: counted.holeFree, ...componentRunStats(runs, [1, Y, X], count) };
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
  assert.deepEqual([...s.holeFreeCounted.subarray(1)], [0, 1, 0, 0, 1, 1, 1, 0]);
  // The diagonal pair and the diagonal ring are connected only through corners.
  assert.deepEqual([...s.faceConnected.subarray(1)], [1, 1, 1, 1, 0, 1, 1, 0]);
  // The same from each component's own runs (what declumping asks on a plane).
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((c) => (s.faceOf(c) ? 1 : 0)), [1, 1, 1, 1, 0, 1, 1, 0]);
});

test("component runs: face connectivity from a component's own runs = the image-wide union-find, holes from the labelling's pairs = the stats' own (random masks)", () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  let split = 0;
  for (let t = 0; t < 40; t++) {
    const Y = 12 + Math.floor(rnd() * 20);
    const X = 12 + Math.floor(rnd() * 20);
    const p = 0.3 + 0.3 * rnd();
    const rows = Array.from({ length: Y }, () => Array.from({ length: X }, () => (rnd() < p ? '#' : '.')).join(''));
    const s = stats(rows);
    for (let c = 1; c <= s.count; c++) {
      assert.equal(s.faceOf(c), s.faceConnected[c] === 1, `mask ${t}, component ${c}`);
      assert.equal(s.holeFreeCounted[c], s.holeFree[c], `mask ${t}, component ${c}: holes`);
      if (!s.faceConnected[c]) split++;
    }
  }
  // Random masks of this density hold many components joined only through corners.
  assert.ok(split > 20, `${split} components connected only diagonally`);
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
