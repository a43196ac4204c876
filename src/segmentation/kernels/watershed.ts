/**
 * Seeded watershed by priority flooding, restricted to a mask: `skimage.segmentation.watershed(image,
 * markers, mask=mask, connectivity=full)` without compactness or watershed lines, as CellProfiler
 * IdentifyPrimaryObjects calls it ("Method to draw dividing lines between clumped objects").
 *
 * Every marker voxel enters a min-priority queue; the queue pops the lowest image value (ties: the voxel
 * queued first, skimage's `age`), and each unlabelled in-mask neighbour (8 in 2-D, 26 in 3-D) takes the
 * popped voxel's label when it is queued.
 *
 * The queue is a bucket queue on integer ranks: the in-mask values are sorted once (a native typed-array sort)
 * and each voxel's bucket is the rank of its value; a bucket is a FIFO list, and the lowest non-empty bucket is
 * popped first. A pop order of (value, queue age) is exactly the binary heap's, so the labels are the same,
 * with O(1) pushes and pops instead of O(log n) sift-downs over three arrays.
 */
import type { Shape3 } from '../../core/volume.js';
import { valueError } from '../../core/errors.js';
import { GrowBuffer } from './grow-buffer.js';

// Reused between calls (declumping floods one small box per clump; grow-buffer.ts).
const sortedScratch = new GrowBuffer(Float32Array);
const rankScratch = new GrowBuffer(Int32Array);
const nextScratch = new GrowBuffer(Int32Array);
const headScratch = new GrowBuffer(Int32Array);
const tailScratch = new GrowBuffer(Int32Array);

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
  // Distinct in-mask values, ascending (-0 and +0 are one value, as for the `<` of a heap).
  const sorted = sortedScratch.get(cap);
  for (let i = 0, k = 0; i < n; i++) if (mask[i]) sorted[k++] = image[i];
  sorted.sort();
  let u = 0;
  for (let k = 0; k < cap; k++) if (u === 0 || sorted[k] !== sorted[u - 1]) sorted[u++] = sorted[k];
  const rank = rankScratch.get(n);
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const v = image[i];
    let lo = 0;
    let hi = u - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    rank[i] = lo;
  }
  const next = nextScratch.get(n);
  const head = headScratch.get(Math.max(u, 1)).fill(-1);
  const tail = tailScratch.get(Math.max(u, 1));
  let size = 0;
  let cur = u;
  const push = (idx: number) => {
    const b = rank[idx];
    next[idx] = -1;
    if (head[b] < 0) head[b] = idx;
    else next[tail[b]] = idx;
    tail[b] = idx;
    if (b < cur) cur = b;
    size++;
  };
  const pop = (): number => {
    while (head[cur] < 0) cur++;
    const idx = head[cur];
    head[cur] = next[idx];
    size--;
    return idx;
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
