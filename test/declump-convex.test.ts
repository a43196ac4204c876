/**
 * Declumping leaves convex components whole (`src/segmentation/declump/convex-hull.ts`):
 * - the convex hull's pixel count against scikit-image `convex_hull_image(mask, offset_coordinates=False)`
 *   (test/data/declump/convex-hull.json from scripts/gen-convex-hull-reference.py), and collinear masks by hand;
 * - the rule in `declumpMask`: a convex ellipse stays one object without the per-object work (recorded as
 *   `convexWhole`), two touching disks (solidity ≈ 0.89) are still split, and the threshold is 0.97 for both
 *   `shape` and `intensity`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRuns, resolveComponents } from '../src/segmentation/runs.js';
import { componentRunIndex, hullPixels, hullPixelsIndexed } from '../src/segmentation/declump/convex-hull.js';
import { declumpMask, resolveDeclumpSettings } from '../src/segmentation/declump/declump.js';
import { defaultModelConfig } from '../src/config/schema.js';

const here = dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(readFileSync(join(here, 'data', 'declump', 'convex-hull.json'), 'utf8')) as {
  cases: { name: string; rows: string[]; area: number; hull_pixels: number }[];
};

function maskOf(rows: string[]): { mask: Uint8Array; Y: number; X: number } {
  const Y = rows.length;
  const X = rows[0].length;
  const mask = new Uint8Array(Y * X);
  for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) mask[y * X + x] = rows[y][x] === '1' ? 1 : 0;
  return { mask, Y, X };
}

function hullOf(rows: string[]): number {
  const { mask, Y, X } = maskOf(rows);
  const runs = findRuns(mask, [1, Y, X], 1);
  assert.equal(resolveComponents(runs, [1, Y, X], 'full'), 1, 'one component');
  const byRows = hullPixels(runs, 1, 0, Y);
  // The indexed variant (declumping's path) reads the component's own runs: the same points, the same count.
  assert.equal(hullPixelsIndexed(runs, componentRunIndex(runs, 1, Y), 1, Y), byRows, 'indexed = row scan');
  return byRows;
}

test('components taller than the fixed point scratch (over 4096 rows) take the grown buffers: the same counts', () => {
  // A 2-pixel-wide column of 5000 rows (hull = itself, 10000 pixel centres) and a staircase of 1 × 2 steps, whose
  // hull is the parallelogram through its corner pixel centres: lattice points by Pick's theorem, A + B/2 + 1.
  const column = Array.from({ length: 5000 }, () => '0110');
  assert.equal(hullOf(column), 10000);
  const stairs = Array.from({ length: 4500 }, (_, y) => '0'.repeat(y) + '11' + '0'.repeat(4500 - y));
  // Corners (0,0), (0,1), (4499,4499), (4499,4500) (x, y = row): a parallelogram of area 4499 with 2·4499 + 2
  // boundary points, so 4499 + 4500 + 1 = 9000 lattice points — the mask's own 9000 pixels.
  assert.equal(hullOf(stairs), 9000);
});

test('convex hull pixel counts match scikit-image convex_hull_image (pixel centres)', () => {
  assert.ok(ref.cases.length >= 7);
  for (const c of ref.cases) assert.equal(hullOf(c.rows), c.hull_pixels, c.name);
});

test('indexed hull over many components: every reference case stacked in one mask (blank rows between)', () => {
  const X = Math.max(...ref.cases.map((c) => c.rows[0].length)) + 3;
  const rows: string[] = [];
  const starts: number[] = [];
  for (const [i, c] of ref.cases.entries()) {
    starts.push(rows.length);
    // Shifted right by i % 3 columns, so that the components do not share their x range.
    for (const r of c.rows) rows.push(('0'.repeat(i % 3) + r).padEnd(X, '0'));
    rows.push('0'.repeat(X));
  }
  const { mask, Y } = maskOf(rows);
  const runs = findRuns(mask, [1, Y, X], 1);
  assert.equal(resolveComponents(runs, [1, Y, X], 'full'), ref.cases.length);
  const index = componentRunIndex(runs, ref.cases.length, Y);
  for (const [i, c] of ref.cases.entries()) assert.equal(hullPixelsIndexed(runs, index, i + 1, c.rows.length), c.hull_pixels, c.name);
});

test('collinear masks: the pixels of the segment (counted by hand)', () => {
  assert.equal(hullOf(['1']), 1);
  assert.equal(hullOf(['1111111']), 7);
  assert.equal(hullOf(['100', '010', '001']), 3);
  assert.equal(hullOf(['10', '01']), 2);
  assert.equal(hullOf(['1', '1', '1', '1']), 4);
});

function declump(rows: string[], method: 'shape' | 'intensity') {
  const { mask, Y, X } = maskOf(rows);
  const intensity = new Float32Array(Y * X);
  for (let i = 0; i < intensity.length; i++) intensity[i] = mask[i] ? 100 : 0;
  const config = { ...defaultModelConfig({ segmentationMethod: 'otsu' }), declumpMethod: method, typicalDiameterPx: [12, 24] as [number, number] };
  return declumpMask(mask, intensity, [1, Y, X], [1, 1, 1], null, resolveDeclumpSettings(config, [1, 1, 1]));
}

function pad(rows: string[], n: number): string[] {
  const blank = '0'.repeat(rows[0].length + 2 * n);
  return [...Array(n).fill(blank), ...rows.map((r) => '0'.repeat(n) + r + '0'.repeat(n)), ...Array(n).fill(blank)];
}

test('declumpMask shape: a convex ellipse is one object by the rule, two touching disks are still split', () => {
  const ellipse = pad(ref.cases.find((c) => c.name === 'ellipse')!.rows, 3);
  const e = declump(ellipse, 'shape');
  assert.equal(e.info.objects, 1);
  assert.equal(e.info.convexWhole, 1);
  const pair = ref.cases.find((c) => c.name === 'two touching disks')!;
  assert.ok(pair.area / pair.hull_pixels < 0.97);
  const p = declump(pad(pair.rows, 3), 'shape');
  assert.equal(p.info.convexWhole, 0);
  assert.equal(p.info.objects, 2);
  assert.equal(p.info.clumpsSplit, 1);
});

test('declumpMask: the solidity threshold, 0.97 for shape and intensity alike', () => {
  const ellipse = pad(ref.cases.find((c) => c.name === 'ellipse')!.rows, 3);
  assert.equal(declump(ellipse, 'intensity').info.convexWhole, 1);
  // A ragged disk of solidity 316 / 325 ≈ 0.972 (scikit-image's hull): whole for both methods (intensity used
  // 0.98 before, and processed it).
  const ragged = ref.cases.find((c) => c.name === 'ragged disk')!;
  const solidity = ragged.area / ragged.hull_pixels;
  assert.ok(solidity >= 0.97 && solidity < 0.98, `solidity ${solidity}`);
  assert.equal(declump(pad(ragged.rows, 3), 'shape').info.convexWhole, 1);
  assert.equal(declump(pad(ragged.rows, 3), 'intensity').info.convexWhole, 1);
  // A notched blob of solidity 365 / 406 ≈ 0.899: processed by both.
  const notched = ref.cases.find((c) => c.name === 'notched blob')!;
  assert.ok(notched.area / notched.hull_pixels < 0.97);
  for (const method of ['shape', 'intensity'] as const) assert.equal(declump(pad(notched.rows, 3), method).info.convexWhole, 0, method);
});
