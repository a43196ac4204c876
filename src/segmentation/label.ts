/**
 * Connected-component labelling with `skimage.measure.label` numbering: components get ids 1..N in the
 * raster (C) order of their first voxel. Two passes with a preallocated union-find over provisional labels
 * (no per-voxel allocation).
 *
 * `connectivity`: `'full'` = 8 (2-D) / 26 (3-D) neighbours (skimage default `connectivity=ndim`),
 * `'face'` = 4 / 6 neighbours (`connectivity=1`, SciPy `generate_binary_structure(ndim, 1)`).
 * A volume with `shape[0] == 1` behaves exactly like the 2-D plane (there are no z neighbours).
 */
import type { Shape3 } from '../core/volume.js';
import { valueError } from '../core/errors.js';

export type Connectivity = 'full' | 'face';

/** Backward neighbour offsets `[dz, dy, dx]` (already visited in raster order). */
function backwardOffsets(connectivity: Connectivity): number[][] {
  const offs: number[][] = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const before = dz < 0 || (dz === 0 && (dy < 0 || (dy === 0 && dx < 0)));
        if (!before) continue;
        const manhattan = Math.abs(dz) + Math.abs(dy) + Math.abs(dx);
        if (connectivity === 'face' && manhattan !== 1) continue;
        offs.push([dz, dy, dx]);
      }
    }
  }
  return offs;
}

export interface LabelResult {
  labels: Uint32Array;
  count: number;
}

export function labelComponents(mask: Uint8Array, shape: Shape3, connectivity: Connectivity): LabelResult {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  if (mask.length !== n) throw valueError(`labelComponents: mask has ${mask.length} voxels, shape (${Z}, ${Y}, ${X}) needs ${n}`);
  const labels = new Uint32Array(n);
  const offs = backwardOffsets(connectivity);
  const nOff = offs.length;
  const odz = Int32Array.from(offs, (o) => o[0]);
  const ody = Int32Array.from(offs, (o) => o[1]);
  const odx = Int32Array.from(offs, (o) => o[2]);
  const odelta = Int32Array.from(offs, (o) => (o[0] * Y + o[1]) * X + o[2]);
  // parent[k] for provisional label k (1-based); at most one provisional label per voxel.
  let parent = new Uint32Array(1024);
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]]; // path halving
      a = parent[a];
    }
    return a;
  };
  let i = 0;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++, i++) {
        if (!mask[i]) continue;
        let cur = 0;
        for (let k = 0; k < nOff; k++) {
          const zz = z + odz[k], yy = y + ody[k], xx = x + odx[k];
          if (zz < 0 || yy < 0 || yy >= Y || xx < 0 || xx >= X) continue;
          const nb = labels[i + odelta[k]];
          if (nb === 0) continue;
          if (cur === 0) {
            cur = nb;
          } else if (nb !== cur) {
            const ra = find(cur), rb = find(nb);
            if (ra !== rb) {
              if (ra < rb) parent[rb] = ra;
              else parent[ra] = rb;
            }
          }
        }
        if (cur === 0) {
          if (next >= parent.length) {
            const grown = new Uint32Array(Math.min(n + 1, parent.length * 2) + 1);
            grown.set(parent);
            parent = grown;
          }
          parent[next] = next;
          cur = next++;
        }
        labels[i] = cur;
      }
    }
  }
  // Final ids in raster order of each component's first voxel.
  const finalId = new Uint32Array(next);
  let count = 0;
  for (let j = 0; j < n; j++) {
    const p = labels[j];
    if (p === 0) continue;
    const r = find(p);
    let id = finalId[r];
    if (id === 0) id = finalId[r] = ++count;
    labels[j] = id;
  }
  return { labels, count };
}
