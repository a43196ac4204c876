/**
 * The viewer's pure compositor (src/render/composite.ts), shared by the browser app and
 * `cellcoloc snapshot`: every expected value below is computed by hand from the documented rules
 * (additive image layers, alpha-blended label layers, 4-neighbour outlines, numpy-style percentiles).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compositeLayers, labelColor, percentileContrast } from '../src/render/composite.js';

/** Uint8ClampedArray's rounding: to nearest, ties to even. */
const rne = (v: number): number => {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
};
const px = (rgba: Uint8ClampedArray, i: number): number[] => [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]];

test('image layers add colormap × normalised intensity × opacity and saturate at 255', () => {
  // contrast [10, 110]: 10 → 0, 60 → 0.5, 110 and above → 1, below 10 → 0.
  const cell = new Uint16Array([0, 10, 60, 110, 500, 35]);
  const marker = new Uint16Array([0, 0, 0, 0, 200, 200]);
  const out = compositeLayers(3, 2, [
    { kind: 'image', data: cell, colormap: 'magenta', contrast: [10, 110], opacity: 1, visible: true },
    { kind: 'image', data: marker, colormap: 'cyan', contrast: [0, 200], opacity: 0.5, visible: true },
  ]);
  assert.deepEqual(px(out, 0), [0, 0, 0, 255]);
  assert.deepEqual(px(out, 1), [0, 0, 0, 255]);
  assert.deepEqual(px(out, 2), [128, 0, 128, 255]); // 0.5·255 = 127.5 → 128 (Uint8ClampedArray: ties to even)
  assert.deepEqual(px(out, 3), [255, 0, 255, 255]);
  // magenta 255 + cyan 0.5·255: red 255, green 127.5 → 128, blue 255 + 127.5 clipped at 255.
  assert.deepEqual(px(out, 4), [255, 128, 255, 255]);
  // 35 → 0.25·255 = 63.75 → 64 magenta; cyan 0.5·255 = 127.5 → 128 added: blue 64 + 127.5 = 191.5 → 192.
  assert.deepEqual(px(out, 5), [64, 128, 192, 255]);
  // Float planes take the non-lookup path and must give the same pixels.
  const outF = compositeLayers(3, 2, [
    { kind: 'image', data: Float32Array.from(cell), colormap: 'magenta', contrast: [10, 110], opacity: 1, visible: true },
    { kind: 'image', data: Float32Array.from(marker), colormap: 'cyan', contrast: [0, 200], opacity: 0.5, visible: true },
  ]);
  assert.deepEqual([...outF], [...out]);
});

test('hidden or zero-opacity layers contribute nothing; a wrong-size layer is refused', () => {
  const d = new Uint8Array([255, 255]);
  const out = compositeLayers(2, 1, [
    { kind: 'image', data: d, colormap: 'gray', contrast: [0, 255], opacity: 1, visible: false },
    { kind: 'labels', data: new Uint32Array([1, 2]), opacity: 0, outline: false, visible: true },
  ]);
  assert.deepEqual([...out], [0, 0, 0, 255, 0, 0, 0, 255]);
  assert.throws(
    () => compositeLayers(3, 1, [{ kind: 'image', data: d, colormap: 'gray', contrast: [0, 1], opacity: 1, visible: true }]),
    /2 pixels, expected 3×1 = 3/,
  );
});

test('label layers blend their id colour with alpha = opacity; the highlighted id is white', () => {
  const grey = new Uint8Array([100, 100, 100]);
  const [r, g, b] = labelColor(7);
  const out = compositeLayers(3, 1, [
    { kind: 'image', data: grey, colormap: 'gray', contrast: [0, 200], opacity: 1, visible: true },
    { kind: 'labels', data: new Uint32Array([0, 7, 9]), opacity: 0.5, outline: false, visible: true, highlight: 9 },
  ]);
  // Background 100/200·255 = 127.5 → 128 grey.
  assert.deepEqual(px(out, 0), [128, 128, 128, 255]);
  assert.deepEqual(px(out, 1), [rne(64 + r / 2), rne(64 + g / 2), rne(64 + b / 2), 255]);
  assert.deepEqual(px(out, 2), [255, 255, 255, 255]);
});

test('outline mode keeps only pixels with a differing 4-neighbour', () => {
  // A 3×3 block of label 5 in a 5×5 image: its centre pixel (2, 2) is interior, the other 8 are boundary.
  const lab = new Uint32Array(25);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) lab[y * 5 + x] = 5;
  const out = compositeLayers(5, 5, [{ kind: 'labels', data: lab, opacity: 1, outline: true, visible: true }]);
  const drawn: number[] = [];
  for (let i = 0; i < 25; i++) if (out[4 * i] + out[4 * i + 1] + out[4 * i + 2] > 0) drawn.push(i);
  assert.deepEqual(drawn, [6, 7, 8, 11, 13, 16, 17, 18]);
  assert.deepEqual(px(out, 6).slice(0, 3), labelColor(5));
});

test('label colours: stable, bright, different for neighbouring ids', () => {
  assert.deepEqual(labelColor(42), labelColor(42));
  const seen = new Set<string>();
  for (let id = 1; id <= 50; id++) {
    const c = labelColor(id);
    assert.ok(Math.max(...c) >= 0.8 * 255 - 1, `id ${id} too dark: ${c}`);
    seen.add(c.join(','));
  }
  assert.ok(seen.size >= 48, `${seen.size} distinct colours for ids 1..50`);
});

test('percentile contrast interpolates between ranks like numpy.percentile and ignores NaN', () => {
  // 0..100: the 0.5th percentile is 0.5, the 99.5th is 99.5 (numpy: linear between closest ranks).
  const a = Float32Array.from({ length: 101 }, (_, i) => i);
  assert.deepEqual(percentileContrast(a), [0.5, 99.5]);
  assert.deepEqual(percentileContrast(a, 10, 90), [10, 90]);
  // The exact-histogram path of integer planes gives the same numbers; int16 keeps its sign.
  assert.deepEqual(percentileContrast(Uint16Array.from(a)), [0.5, 99.5]);
  assert.deepEqual(percentileContrast(Uint8Array.from(a), 25, 75), [25, 75]);
  assert.deepEqual(percentileContrast(Int16Array.from(a, (v) => v - 50)), [-49.5, 49.5]);
  // Ranks between two distinct values: [0, 0, 0, 10] → 50th percentile at pos 1.5 → 0; 90th at pos 2.7 → 7.
  const [p50, p90] = percentileContrast(new Uint16Array([10, 0, 0, 0]), 50, 90);
  assert.equal(p50, 0);
  assert.ok(Math.abs(p90 - 7) < 1e-12, String(p90));
  assert.deepEqual(percentileContrast(new Float32Array([NaN, 3, NaN, 5]), 0, 100), [3, 5]);
  // A flat image still gets a non-empty range.
  assert.deepEqual(percentileContrast(new Uint16Array(10).fill(7)), [7, 8]);
});
