/**
 * Seeded watershed by priority flooding, restricted to a mask: `skimage.segmentation.watershed(image,
 * markers, mask=mask, connectivity=full)` without compactness or watershed lines, as CellProfiler
 * IdentifyPrimaryObjects calls it ("Method to draw dividing lines between clumped objects").
 *
 * Every marker voxel enters a min-priority queue; the queue pops the lowest image value (ties: the voxel
 * queued first, skimage's `age`), and each unlabelled in-mask neighbour (8 in 2-D, 26 in 3-D) takes the
 * popped voxel's label when it is queued.
 *
 * The queue is a bucket queue on integer ranks: the in-mask values are sorted once (an LSD radix sort of their
 * order-preserving 32-bit keys, several times faster than a typed-array sort on the small boxes of declumping)
 * and each voxel's bucket is the rank of its value (equal values, -0 and +0 included, share a rank); a bucket is a FIFO list, and the lowest non-empty bucket is
 * popped first. A pop order of (value, queue age) is exactly the binary heap's, so the labels are the same,
 * with O(1) pushes and pops instead of O(log n) sift-downs over three arrays.
 */
import type { Shape3 } from '../../core/volume.js';
import { valueError } from '../../core/errors.js';
import { GrowBuffer } from './grow-buffer.js';
import { floodInteriorPlaneWasm } from './declump-wasm.js';
import { negatedWatershedPlaneWasm } from './declump-wasm-merge.js';

// Reused between calls (declumping floods one small box per clump; grow-buffer.ts).
const rankScratch = new GrowBuffer(Int32Array);
const keyScratch = new GrowBuffer(Uint32Array);
const orderScratch = new GrowBuffer(Int32Array);
const order2Scratch = new GrowBuffer(Int32Array);
const key2Scratch = new GrowBuffer(Uint32Array);
const countScratch = new Int32Array(257);
const bitsView = new Float32Array(1);
const bitsWord = new Uint32Array(bitsView.buffer);
const nextScratch = new GrowBuffer(Int32Array);
const headScratch = new GrowBuffer(Int32Array);
const tailScratch = new GrowBuffer(Int32Array);
const negatedScratch = new GrowBuffer(Float32Array);

/**
 * In place: `labels` holds the markers (seed ids > 0, else 0) on entry and the flooded labels on return;
 * voxels outside `mask` keep 0, in-mask voxels not reachable from any marker too. `fewValues`: the image holds
 * few distinct values (a distance map), so they are ranked through a hash table instead of a radix sort (same
 * ranks, `rankFewValues`).
 */
export function seededWatershed(image: Float32Array, labels: Uint32Array, mask: Uint8Array, shape: Shape3, fewValues = false): void {
  const n = shape[0] * shape[1] * shape[2];
  if (image.length !== n || labels.length !== n || mask.length !== n) throw valueError('watershed: image, markers and mask must have the shape\'s voxel count');
  const rank = rankScratch.get(n);
  floodByRank(rank, rankValues(image, mask, n, rank, fewValues), labels, mask, shape);
}

/**
 * `seededWatershed` of the NEGATED image (the brightest voxels flood first: declumping's `intensity` dividing
 * lines, CellProfiler's `1 - image`), without writing the negated copy when the values are integers (their ranks
 * are max − v, `integerRanks`); the same labels as `seededWatershed` of the negated values.
 */
export function seededWatershedOfNegated(image: Float32Array, labels: Uint32Array, mask: Uint8Array, shape: Shape3): void {
  const n = shape[0] * shape[1] * shape[2];
  if (image.length !== n || labels.length !== n || mask.length !== n) throw valueError('watershed: image, markers and mask must have the shape\'s voxel count');
  // A plane with an empty border, flooded whole in WebAssembly (border test, ranks and flood, declump-wasm-merge.ts)
  // when it can: the conditions of `interiorFlood`.
  if (shape[0] === 1 && negatedWatershedPlaneWasm(image, labels, mask, shape[1], shape[2])) return;
  const rank = rankScratch.get(n);
  let u = integerRanks(image, mask, n, rank, true);
  if (u < 0) {
    const negated = negatedScratch.get(n);
    for (let i = 0; i < n; i++) negated[i] = -image[i];
    u = rankValues(negated, mask, n, rank, false, false);
  }
  floodByRank(rank, u, labels, mask, shape);
}

/** Whether `floodByRank` floods this plane with `floodInteriorPlane` (u ranks). */
function interiorFlood(mask: Uint8Array, shape: Shape3, u: number): boolean {
  const n = shape[0] * shape[1] * shape[2];
  return shape[0] === 1 && n <= PLANE_VOXELS && u <= PLANE_VOXELS && maskBorderEmpty(mask, shape[1], shape[2]);
}

/**
 * The flooding itself, on ranks in [0, u) of the in-mask voxels (`rank`, lowest popped first; buckets without a
 * voxel are allowed): the same pops and labels as `seededWatershed` gives for the values the ranks order.
 */
export function floodByRank(rank: Int32Array, u: number, labels: Uint32Array, mask: Uint8Array, shape: Shape3): void {
  const [Z, Y, X] = shape;
  const n = Z * Y * X;
  // A plane whose mask leaves the outer rows and columns empty (declumping's boxes keep a background margin):
  // every queued voxel is interior.
  if (interiorFlood(mask, shape, u)) {
    // The same flood in WebAssembly (declump-wasm.ts) when it can run it.
    if (!floodInteriorPlaneWasm(rank, u, labels, mask, X, n)) floodInteriorPlane(rank, u, labels, mask, X, n);
    return;
  }
  const P = Y * X;
  const is3d = Z > 1;
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
    if (!is3d && y > 0 && y < Y - 1 && x > 0 && x < X - 1) {
      // Interior pixel of a plane: the 8 neighbours in the same order as below, without bounds tests.
      for (let j = i - X - 1; j <= i - X + 1; j++) {
        if (labels[j] === 0 && mask[j]) {
          labels[j] = lab;
          push(j);
        }
      }
      if (labels[i - 1] === 0 && mask[i - 1]) {
        labels[i - 1] = lab;
        push(i - 1);
      }
      if (labels[i + 1] === 0 && mask[i + 1]) {
        labels[i + 1] = lab;
        push(i + 1);
      }
      for (let j = i + X - 1; j <= i + X + 1; j++) {
        if (labels[j] === 0 && mask[j]) {
          labels[j] = lab;
          push(j);
        }
      }
      continue;
    }
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


/** True when no voxel of the plane's first or last row or column is in the mask (and the plane is ≥ 3 × 3). */
export function maskBorderEmpty(mask: Uint8Array, Y: number, X: number): boolean {
  if (Y < 3 || X < 3) return false;
  const last = (Y - 1) * X;
  for (let x = 0; x < X; x++) if (mask[x] || mask[last + x]) return false;
  for (let y = X; y < last; y += X) if (mask[y] || mask[y + X - 1]) return false;
  return true;
}

/**
 * The queue of `floodInteriorPlane` (boxes of at most `PLANE_VOXELS` voxels): fixed module constants rather than
 * grown buffers, because TurboFan then embeds their addresses and lengths in the compiled loop (about a fifth
 * faster on declumping's boxes, measured, Node 20). 768 KiB, committed by the OS only where touched.
 */
const PLANE_VOXELS = 1 << 16;
const NEXT = new Int32Array(PLANE_VOXELS);
const HEAD = new Int32Array(PLANE_VOXELS);
const TAIL = new Int32Array(PLANE_VOXELS);

/**
 * `floodByRank` on a plane whose in-mask voxels are all interior: no coordinates, no bounds tests, the bucket
 * queue kept in locals and the 8 neighbours written out in the order of the general loop (a closure for the
 * push kept `cur` in a heap context, and a loop over an offset table cost branches: this form floods the bench
 * image's clumps in about two thirds of the time). A voxel is queued once, when it is labelled, so the queue
 * is empty when every bucket from `cur` up is.
 */
function floodInteriorPlane(rank: Int32Array, u: number, labels: Uint32Array, mask: Uint8Array, X: number, n: number): void {
  const next = NEXT;
  const head = HEAD;
  const tail = TAIL;
  head.fill(-1, 0, u);
  let cur = u;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 0) continue;
    if (!mask[i]) {
      labels[i] = 0;
      continue;
    }
    const b = rank[i];
    next[i] = -1;
    if (head[b] < 0) head[b] = i;
    else next[tail[b]] = i;
    tail[b] = i;
    if (b < cur) cur = b;
  }
  for (;;) {
    while (cur < u && head[cur] < 0) cur++;
    if (cur === u) return;
    const i = head[cur];
    head[cur] = next[i];
    const lab = labels[i];
    let j = i - X - 1;
    // prettier-ignore
    if (labels[j] === 0 && mask[j]) { labels[j] = lab; const b = rank[j]; next[j] = -1; if (head[b] < 0) head[b] = j; else next[tail[b]] = j; tail[b] = j; if (b < cur) cur = b; }
    j = i - X;
    // prettier-ignore
    if (labels[j] === 0 && mask[j]) { labels[j] = lab; const b = rank[j]; next[j] = -1; if (head[b] < 0) head[b] = j; else next[tail[b]] = j; tail[b] = j; if (b < cur) cur = b; }
    j = i - X + 1;
    // prettier-ignore
    if (labels[j] === 0 && mask[j]) { labels[j] = lab; const b = rank[j]; next[j] = -1; if (head[b] < 0) head[b] = j; else next[tail[b]] = j; tail[b] = j; if (b < cur) cur = b; }
    j = i - 1;
    // prettier-ignore
    if (labels[j] === 0 && mask[j]) { labels[j] = lab; const b = rank[j]; next[j] = -1; if (head[b] < 0) head[b] = j; else next[tail[b]] = j; tail[b] = j; if (b < cur) cur = b; }
    j = i + 1;
    // prettier-ignore
    if (labels[j] === 0 && mask[j]) { labels[j] = lab; const b = rank[j]; next[j] = -1; if (head[b] < 0) head[b] = j; else next[tail[b]] = j; tail[b] = j; if (b < cur) cur = b; }
    j = i + X - 1;
    // prettier-ignore
    if (labels[j] === 0 && mask[j]) { labels[j] = lab; const b = rank[j]; next[j] = -1; if (head[b] < 0) head[b] = j; else next[tail[b]] = j; tail[b] = j; if (b < cur) cur = b; }
    j = i + X;
    // prettier-ignore
    if (labels[j] === 0 && mask[j]) { labels[j] = lab; const b = rank[j]; next[j] = -1; if (head[b] < 0) head[b] = j; else next[tail[b]] = j; tail[b] = j; if (b < cur) cur = b; }
    j = i + X + 1;
    // prettier-ignore
    if (labels[j] === 0 && mask[j]) { labels[j] = lab; const b = rank[j]; next[j] = -1; if (head[b] < 0) head[b] = j; else next[tail[b]] = j; tail[b] = j; if (b < cur) cur = b; }
  }
}

/**
 * Dense ranks (0 = lowest) of the in-mask values of `image` into `rank`; returns the number of distinct values.
 * The float32 bits are mapped to unsigned keys in the order of the values (sign bit flipped for positives, all
 * bits for negatives; -0 counted as +0), then the in-mask voxel indices are sorted by key with a stable LSD
 * radix sort, one byte per pass (a pass where every key has the same byte is skipped).
 */
function rankValues(image: Float32Array, mask: Uint8Array, n: number, rank: Int32Array, fewValues: boolean, tryIntegers = true): number {
  const integral = tryIntegers ? integerRanks(image, mask, n, rank, false) : -1;
  if (integral >= 0) return integral;
  const few = fewValues ? rankFewValues(image, mask, n, rank) : -1;
  if (few >= 0) return few;
  let m = 0;
  for (let i = 0; i < n; i++) if (mask[i]) m++;
  let keys = keyScratch.get(m);
  let order = orderScratch.get(m);
  for (let i = 0, k = 0; i < n; i++) {
    if (!mask[i]) continue;
    const v = image[i];
    bitsView[0] = v === 0 ? 0 : v;
    const b = bitsWord[0];
    keys[k] = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
    order[k++] = i;
  }
  let keys2 = key2Scratch.get(m);
  let order2 = order2Scratch.get(m);
  const count = countScratch;
  for (let shift = 0; shift < 32; shift += 8) {
    count.fill(0);
    for (let k = 0; k < m; k++) count[((keys[k] >>> shift) & 255) + 1]++;
    if (m === 0 || count[((keys[0] >>> shift) & 255) + 1] === m) continue;
    for (let d = 1; d <= 256; d++) count[d] += count[d - 1];
    for (let k = 0; k < m; k++) {
      const d = (keys[k] >>> shift) & 255;
      const at = count[d]++;
      keys2[at] = keys[k];
      order2[at] = order[k];
    }
    const tk = keys;
    keys = keys2;
    keys2 = tk;
    const to = order;
    order = order2;
    order2 = to;
  }
  let u = 0;
  for (let k = 0; k < m; k++) {
    if (k > 0 && keys[k] !== keys[k - 1]) u++;
    rank[order[k]] = u;
  }
  return m > 0 ? u + 1 : 0;
}

/**
 * Ranks v − min (`negate`: max − v, the ranks of the negated values) when every in-mask value is an integer and
 * the range max − min is below the box's voxel count (an unfiltered 8- or 16-bit image: the intensity watershed's
 * raw values): order-preserving, equal values share a rank (−0 and +0 too), so the flooding is the same as with
 * the dense ranks; buckets of values that do not occur stay empty, and there are fewer of them than voxels.
 * Returns the number of buckets, or -1 (nothing written) when a value is not an integer or the range is wider.
 */
function integerRanks(image: Float32Array, mask: Uint8Array, n: number, rank: Int32Array, negate: boolean): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const v = image[i];
    if (!Number.isInteger(v)) return -1;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return 0;
  if (hi - lo >= n) return -1;
  if (negate) {
    for (let i = 0; i < n; i++) if (mask[i]) rank[i] = hi - image[i];
  } else {
    for (let i = 0; i < n; i++) if (mask[i]) rank[i] = image[i] - lo;
  }
  return hi - lo + 1;
}

// Hash table of `rankFewValues`: slot → index into `distinct` + 1, 0 = empty (all 0 between calls).
let slots = new Int32Array(1024);
const distinctScratch = new GrowBuffer(Uint32Array);
const rankOfScratch = new GrowBuffer(Int32Array);

/**
 * The same dense ranks as the radix sort when the box has few distinct values (a distance map: square roots of
 * a few hundred integers): each value's key goes into a hash table once, only the distinct keys are sorted, and
 * every voxel's rank is looked up. Returns -1 (rank partly written) as soon as the values are too many for this
 * to pay (more than a quarter of the box, or over 2¹⁵ of them).
 */
function rankFewValues(image: Float32Array, mask: Uint8Array, n: number, rank: Int32Array): number {
  let size = slots.length;
  let shift = 32 - (31 - Math.clz32(size));
  const limit = Math.min(32768, (n >> 2) + 64);
  let distinct = distinctScratch.get(Math.min(limit, 4096));
  let u = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    m++;
    const v = image[i];
    bitsView[0] = v === 0 ? 0 : v;
    const b = bitsWord[0];
    const key = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
    let h = Math.imul(key, 0x9e3779b1) >>> shift;
    let id = 0;
    for (let sl = slots[h]; sl !== 0; sl = slots[h]) {
      if (distinct[sl - 1] === key) {
        id = sl;
        break;
      }
      h = (h + 1) & (size - 1);
    }
    if (id === 0) {
      if (u === limit) {
        slots.fill(0);
        return -1;
      }
      if (u === distinct.length) {
        const grown = new Uint32Array(limit);
        grown.set(distinct);
        distinct = grown;
      }
      if (2 * (u + 1) > size) {
        // Keep the load under one half: double the table and re-insert the keys seen so far.
        size *= 2;
        shift--;
        slots = new Int32Array(size);
        for (let d = 0; d < u; d++) {
          let g = Math.imul(distinct[d], 0x9e3779b1) >>> shift;
          while (slots[g] !== 0) g = (g + 1) & (size - 1);
          slots[g] = d + 1;
        }
        h = Math.imul(key, 0x9e3779b1) >>> shift;
        while (slots[h] !== 0) h = (h + 1) & (size - 1);
      }
      distinct[u++] = key;
      slots[h] = id = u;
    }
    rank[i] = id - 1;
  }
  // Dense rank of each distinct key (the keys are distinct, so a key's sorted position is its rank); the slots
  // are cleared on the way.
  const sorted = distinct.slice(0, u).sort();
  const rankOf = rankOfScratch.get(u);
  for (let r = 0; r < u; r++) {
    const key = sorted[r];
    let g = Math.imul(key, 0x9e3779b1) >>> shift;
    while (distinct[slots[g] - 1] !== key) g = (g + 1) & (size - 1);
    rankOf[slots[g] - 1] = r;
  }
  for (let d = 0; d < u; d++) {
    let g = Math.imul(distinct[d], 0x9e3779b1) >>> shift;
    while (slots[g] !== d + 1) g = (g + 1) & (size - 1);
    slots[g] = 0;
  }
  if (m === 0) return 0;
  for (let i = 0; i < n; i++) if (mask[i]) rank[i] = rankOf[rank[i]];
  return u;
}
