/**
 * Seeded watershed by priority flooding, restricted to a mask: `skimage.segmentation.watershed(image,
 * markers, mask=mask, connectivity=full)` without compactness or watershed lines, as CellProfiler
 * IdentifyPrimaryObjects calls it ("Method to draw dividing lines between clumped objects").
 *
 * Every marker voxel enters a min-priority queue; the queue pops the lowest image value (ties: the voxel
 * queued first, skimage's `age`), and each unlabelled in-mask neighbour (8 in 2-D, 26 in 3-D) takes the
 * popped voxel's label when it is queued. The queue is a binary heap on typed arrays sized for the mask.
 */
import type { Shape3 } from '../../core/volume.js';
import { valueError } from '../../core/errors.js';
import { GrowBuffer } from './grow-buffer.js';

// The heap is reused between calls (declumping floods one small box per clump; grow-buffer.ts).
const heapValues = new GrowBuffer(Float32Array);
const heapAges = new GrowBuffer(Int32Array);
const heapVoxels = new GrowBuffer(Int32Array);

/**
 * In place: `labels` holds the markers (seed ids > 0, else 0) on entry and the flooded labels on return;
 * voxels outside `mask` keep 0, in-mask voxels not reachable from any marker too.
 */
export function seededWatershed(image: Float32Array, labels: Uint32Array, mask: Uint8Array, shape: Shape3): void {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  if (image.length !== n || labels.length !== n || mask.length !== n) throw valueError('watershed: image, markers and mask must have the shape\'s voxel count');
  const P = Y * X;
  const is3d = Z > 1;
  let cap = 0;
  for (let i = 0; i < n; i++) if (mask[i]) cap++;
  // Heap entries: value (float32 order), age (queue order), voxel index.
  const hv = heapValues.get(cap + 1);
  const ha = heapAges.get(cap + 1);
  const hi = heapVoxels.get(cap + 1);
  let size = 0;
  let age = 0;
  const less = (a: number, b: number) => hv[a] < hv[b] || (hv[a] === hv[b] && ha[a] < ha[b]);
  const swap = (a: number, b: number) => {
    const v = hv[a]; hv[a] = hv[b]; hv[b] = v;
    const g = ha[a]; ha[a] = ha[b]; ha[b] = g;
    const t = hi[a]; hi[a] = hi[b]; hi[b] = t;
  };
  const push = (idx: number) => {
    let k = size++;
    hv[k] = image[idx];
    ha[k] = age++;
    hi[k] = idx;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!less(k, p)) break;
      swap(k, p);
      k = p;
    }
  };
  const pop = (): number => {
    const top = hi[0];
    size--;
    if (size > 0) {
      hv[0] = hv[size]; ha[0] = ha[size]; hi[0] = hi[size];
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && less(r, l) ? r : l;
        if (!less(c, k)) break;
        swap(c, k);
        k = c;
      }
    }
    return top;
  };
  for (let i = 0; i < n; i++) {
    if (labels[i] === 0) continue;
    if (!mask[i]) { labels[i] = 0; continue; }
    push(i);
  }
  const z0 = is3d ? -1 : 0;
  const z1 = is3d ? 1 : 0;
  while (size > 0) {
    const i = pop();
    const lab = labels[i];
    const z = is3d ? (i / P) | 0 : 0;
    const rem = i - z * P;
    const y = (rem / X) | 0;
    const x = rem - y * X;
    for (let dz = z0; dz <= z1; dz++) {
      const zz = z + dz;
      if (zz < 0 || zz >= Z) continue;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= Y) continue;
        const b = zz * P + yy * X;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= X) continue;
          const j = b + xx;
          if (labels[j] !== 0 || !mask[j]) continue;
          labels[j] = lab;
          push(j);
        }
      }
    }
  }
}
