/** Closing, small-object / small-hole removal and labelling vs scikit-image 0.19.3 and hand-computed cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/fixtures.js';
import { binaryClosing, removeSmallHoles, removeSmallObjects } from '../src/segmentation/morphology.js';
import { labelComponents } from '../src/segmentation/label.js';
import type { Shape3 } from '../src/core/volume.js';

const ref = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'data', 'segmentation', 'reference.json'), 'utf8'));
const m = (rows: string[]) => Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));

test('labels are numbered in raster order of first voxel; full vs face connectivity (Q13)', () => {
  const mask = m(['..#', '.#.', '#..', '...', '##.']);
  const shape: Shape3 = [1, 5, 3];
  const full = labelComponents(mask, shape, 'full');
  assert.equal(full.count, 2);
  assert.deepEqual([...full.labels], [0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 2, 2, 0]);
  const face = labelComponents(mask, shape, 'face');
  assert.equal(face.count, 4);
  assert.deepEqual([...face.labels], [0, 0, 1, 0, 2, 0, 3, 0, 0, 0, 0, 0, 4, 4, 0]);
  // a U shape whose right arm starts first in raster order but joins later keeps id 1 for everything
  const u = labelComponents(m(['#.#', '#.#', '###']), [1, 3, 3], 'face');
  assert.equal(u.count, 1);
});

test('closing with the cross; outside counts False for dilation and True for erosion', () => {
  // a one-pixel gap in a row is closed; the border pixels stay set (erosion treats outside as True)
  assert.deepEqual([...binaryClosing(m(['#.#']), [1, 1, 3])], [1, 1, 1]);
  // an isolated pixel survives closing
  assert.deepEqual([...binaryClosing(m(['...', '.#.', '...']), [1, 3, 3])], [...m(['...', '.#.', '...'])]);
});

test('Q14: remove_small_holes also fills small background regions touching the border', () => {
  const mask = m(['.####', '#####', '####.', '##...']);
  // background components (4-conn.): {(0,0)} size 1 at the border, {(2,4),(3,2),(3,3),(3,4)} size 4
  assert.deepEqual([...removeSmallHoles(mask, [1, 4, 5], 2)], [...m(['#####', '#####', '####.', '##...'])]);
  assert.deepEqual([...removeSmallHoles(mask, [1, 4, 5], 5)], [...m(['#####', '#####', '#####', '#####'])]);
  // remove_small_objects: size < n removed, == n kept
  const objs = m(['##..#', '.....', '###..']);
  assert.deepEqual([...removeSmallObjects(objs, [1, 3, 5], 2)], [...m(['##...', '.....', '###..'])]);
  assert.deepEqual([...removeSmallObjects(objs, [1, 3, 5], 3)], [...m(['.....', '.....', '###..'])]);
});

test('closing, remove_small_objects/holes(4), label(full/face) match scikit-image on random 2-D/3-D masks', () => {
  for (const r of ref.morphology) {
    const shape: Shape3 = r.shape.length === 2 ? [1, r.shape[0], r.shape[1]] : r.shape;
    const mask = Uint8Array.from(r.mask);
    assert.deepEqual([...binaryClosing(mask, shape)], r.closing, `closing ${r.shape}`);
    assert.deepEqual([...removeSmallObjects(mask, shape, 4)], r.small_objects_4, `objects ${r.shape}`);
    assert.deepEqual([...removeSmallHoles(mask, shape, 4)], r.small_holes_4, `holes ${r.shape}`);
    assert.deepEqual([...labelComponents(mask, shape, 'full').labels], r.label_full, `label full ${r.shape}`);
    assert.deepEqual([...labelComponents(mask, shape, 'face').labels], r.label_face, `label face ${r.shape}`);
  }
});
