/**
 * Label arrays allocated without zeroing (`unzeroedLabels`, segmentation/runs.ts) are written whole: the labelling
 * of a mask (`labelComponents`, `labelComponentsWithBoxes`, `labelBitMask`) and declumping's output (`declumpMask`:
 * planes with and without ROI outlines, every method, volumes) are the same when every such array starts out
 * filled with a poison value (`unzeroedPoison`) as when it starts out as the zeros fresh pages hold. A voxel left
 * unwritten would keep the poison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unzeroedLabels, unzeroedPoison } from '../src/segmentation/runs.js';
import { labelBitMask, labelComponents, labelComponentsWithBoxes } from '../src/segmentation/label.js';
import { packMask } from '../src/segmentation/bitmask.js';
import { declumpMask, resolveDeclumpSettings } from '../src/segmentation/declump/declump.js';
import { defaultModelConfig } from '../src/config/schema.js';
import type { Shape3 } from '../src/core/volume.js';
import { lcg } from './helpers/declump-engines.js';

const POISON = 0xbeef;

function poisoned<T>(f: () => T): T {
  unzeroedPoison.value = POISON;
  try {
    return f();
  } finally {
    unzeroedPoison.value = 0;
  }
}

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Random balls (disks on a plane), some touching: a clumpy mask with an intensity that peaks at their centres. */
function balls(r: () => number, shape: Shape3, count: number): { mask: Uint8Array; intensity: Float32Array } {
  const [Z, Y, X] = shape;
  const mask = new Uint8Array(Z * Y * X);
  const intensity = new Float32Array(Z * Y * X);
  for (let b = 0; b < count; b++) {
    const cz = r() * Z;
    const cy = r() * Y;
    const cx = r() * X;
    const rad = 3 + r() * 7;
    const rz = Z > 1 ? rad : 0.5;
    for (let z = 0; z < Z; z++) {
      for (let y = 0; y < Y; y++) {
        for (let x = 0; x < X; x++) {
          const d2 = ((z - cz) / rz) ** 2 * (Z > 1 ? 1 : 0) + ((y - cy) / rad) ** 2 + ((x - cx) / rad) ** 2;
          if (d2 > 1) continue;
          const i = (z * Y + y) * X + x;
          mask[i] = 1;
          intensity[i] = Math.max(intensity[i], Math.fround(100 + 400 * (1 - d2) + r() * 20));
        }
      }
    }
  }
  return { mask, intensity };
}

test('the poison reaches unzeroed label arrays (the seam this file relies on)', () => {
  const a = poisoned(() => unzeroedLabels(37, false));
  const b = poisoned(() => unzeroedLabels(37, true));
  assert.ok(a instanceof Uint16Array && b instanceof Uint32Array);
  assert.ok(a.every((v) => v === POISON) && b.every((v) => v === POISON));
});

test('labelling a mask writes every voxel of its unzeroed labels', () => {
  const r = lcg(7);
  for (const [shape, count] of [[[1, 61, 83], 12], [[5, 33, 41], 4]] as [Shape3, number][]) {
    const { mask } = balls(r, shape, count);
    const n = mask.length;
    let set = 0;
    for (let i = 0; i < n; i++) set += mask[i];
    assert.ok(set > 0.1 * n && set < 0.9 * n, `both foreground and background: ${set} of ${n}`);
    const plain = labelComponents(mask, shape, 'full');
    const dirty = poisoned(() => labelComponents(mask, shape, 'full'));
    assert.ok(bytes(dirty.labels).equals(bytes(plain.labels)));
    assert.equal(dirty.labels.filter((v) => v === 0).length, n - set);
    const boxed = poisoned(() => labelComponentsWithBoxes(mask, shape, 'face'));
    assert.ok(bytes(boxed.labels).equals(bytes(labelComponentsWithBoxes(mask, shape, 'face').labels)));
    const bits = poisoned(() => labelBitMask(packMask(mask, shape), 'full'));
    assert.ok(bits.labels instanceof Uint16Array);
    assert.deepEqual([...bits.labels], [...plain.labels]);
  }
});

test('declumpMask writes every voxel of its unzeroed output: planes (ROI outlines or none, every method), volumes', () => {
  const r = lcg(11);
  let split = 0;
  for (let it = 0; it < 24; it++) {
    const shape: Shape3 = it % 4 === 3 ? [6, 40, 44] : [1, 70 + Math.floor(r() * 40), 70 + Math.floor(r() * 40)];
    const [Z, Y, X] = shape;
    const { mask, intensity } = balls(r, shape, 10);
    let roi: Uint8Array | null = null;
    if (Z === 1 && it % 4 === 1) {
      // an elliptic ROI: pieces at its outline are pasted voxel by voxel (the zeroed output)
      roi = new Uint8Array(Y * X);
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) roi[y * X + x] = ((y - Y / 2) / (0.45 * Y)) ** 2 + ((x - X / 2) / (0.45 * X)) ** 2 <= 1 ? 1 : 0;
      for (let i = 0; i < mask.length; i++) if (!roi[i]) mask[i] = 0;
    }
    const method = (['none', 'shape', 'intensity'] as const)[it % 3];
    const cfg = {
      ...defaultModelConfig({ segmentationMethod: 'otsu' }),
      typicalDiameterPx: [6, 20] as [number, number],
      declumpMethod: method,
      fillHoles: it % 2 === 0,
      excludeBorderObjects: it % 5 !== 0,
      discardOutsideDiameter: it % 3 === 1,
    };
    const spacing: [number, number, number] = [1, 0.5, 0.5];
    const s = resolveDeclumpSettings(cfg, spacing);
    const clean = declumpMask(mask, intensity, shape, spacing, roi, s);
    const dirty = poisoned(() => declumpMask(mask, intensity, shape, spacing, roi, s));
    assert.equal(dirty.labels.constructor, clean.labels.constructor, `case ${it}`);
    assert.ok(bytes(dirty.labels).equals(bytes(clean.labels)), `case ${it}: labels differ`);
    assert.deepEqual(dirty.info, clean.info, `case ${it}`);
    // and the labels' background is the voxels outside every kept object
    let background = 0;
    for (const v of clean.labels) if (v === 0) background++;
    assert.equal(background, clean.counts[0], `case ${it}`);
    split += clean.info.clumpsSplit;
  }
  assert.ok(split > 10, `clumps split: ${split}`);
});
