/**
 * Run-length labelling (`runs.ts`) against a brute-force flood fill written here (BFS over explicit
 * neighbour offsets, ids in raster order of first voxel) on random 2D and 3D masks, both connectivities,
 * plus the size cleanup against the same reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelComponents } from '../src/segmentation/label.js';
import { removeSmallObjects, removeSmallHoles } from '../src/segmentation/morphology.js';

function rand(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bfsLabel(mask: Uint8Array, [Z, Y, X]: [number, number, number], full: boolean): Uint32Array {
  const labels = new Uint32Array(mask.length);
  const offs: [number, number, number][] = [];
  for (let dz = -1; dz <= 1; dz++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const m = Math.abs(dz) + Math.abs(dy) + Math.abs(dx);
        if (m === 0 || (!full && m !== 1)) continue;
        offs.push([dz, dy, dx]);
      }
  let next = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = ++next;
    const queue = [start];
    while (queue.length) {
      const i = queue.pop()!;
      const z = Math.floor(i / (Y * X)), y = Math.floor(i / X) % Y, x = i % X;
      for (const [dz, dy, dx] of offs) {
        const zz = z + dz, yy = y + dy, xx = x + dx;
        if (zz < 0 || zz >= Z || yy < 0 || yy >= Y || xx < 0 || xx >= X) continue;
        const j = (zz * Y + yy) * X + xx;
        if (mask[j] && !labels[j]) {
          labels[j] = next;
          queue.push(j);
        }
      }
    }
  }
  return labels;
}

const shapes: [number, number, number][] = [[1, 37, 53], [5, 19, 23], [1, 1, 40], [3, 1, 17], [4, 9, 1]];

test('run-length labelling equals a brute-force flood fill (2D/3D, face/full, random densities)', () => {
  const r = rand(7);
  for (const shape of shapes) {
    for (const density of [0.2, 0.45, 0.6, 0.85]) {
      const n = shape[0] * shape[1] * shape[2];
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) mask[i] = r() < density ? 1 : 0;
      for (const conn of ['face', 'full'] as const) {
        const ref = bfsLabel(mask, shape, conn === 'full');
        const got = labelComponents(mask, shape, conn);
        assert.deepEqual(got.labels, ref, `${shape} ${density} ${conn}`);
        assert.equal(got.count, ref.reduce((a, b) => Math.max(a, b), 0));
      }
    }
  }
});

test('size cleanup equals the flood-fill reference: objects and holes (face connectivity)', () => {
  const r = rand(11);
  for (const shape of shapes) {
    const n = shape[0] * shape[1] * shape[2];
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) mask[i] = r() < 0.5 ? 1 : 0;
    for (const minSize of [2, 4, 9]) {
      const lab = bfsLabel(mask, shape, false);
      const size = new Map<number, number>();
      for (const l of lab) if (l) size.set(l, (size.get(l) ?? 0) + 1);
      const expectObjects = mask.map((v, i) => (v && size.get(lab[i])! >= minSize ? 1 : 0));
      assert.deepEqual(removeSmallObjects(mask, shape, minSize), expectObjects);
      const inv = mask.map((v) => 1 - v);
      const labInv = bfsLabel(inv, shape, false);
      const sizeInv = new Map<number, number>();
      for (const l of labInv) if (l) sizeInv.set(l, (sizeInv.get(l) ?? 0) + 1);
      const expectHoles = mask.map((v, i) => (v || sizeInv.get(labInv[i])! < minSize ? 1 : 0));
      assert.deepEqual(removeSmallHoles(mask, shape, minSize), expectHoles);
    }
  }
});
